#include "sizing/serving.h"
