// Serving sizing (gpuplan size serve). Private part of the sizing module: include "sizing/sizing.h".
#pragma once
