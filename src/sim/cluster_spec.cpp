// Cluster specs: the --cluster syntax, openb node lists, relative speeds.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/sim.h"

namespace gpuplan::sim {

int64_t ClusterSpec::total_gpus() const {
  int64_t s = 0;
  for (const NodeGroup& g : groups) s += int64_t{g.num_nodes} * g.gpus_per_node;
  return s;
}

double RelativeSpeed(const catalog::Accelerator& a, const catalog::Accelerator& reference) {
  return (a.peak_bf16_flop_per_s * a.gemm_efficiency) /
         (reference.peak_bf16_flop_per_s * reference.gemm_efficiency);
}

std::string_view ToString(Placement p) { return p == Placement::kPack ? "pack" : "spread"; }

Result<Placement> ParsePlacement(std::string_view text) {
  if (text == "pack") return Placement::kPack;
  if (text == "spread") return Placement::kSpread;
  return Error{UnknownNameMessage("placement", text, {"pack", "spread"})};
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Result<int64_t> ParseCount(std::string_view text, std::string_view item, std::string_view what) {
  int64_t v = 0;
  const bool ok = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  }) && text.size() <= 9;
  if (ok) v = std::stoll(std::string(text));
  if (!ok || v < 1) {
    return Error{
        fmt::format("--cluster: '{}': {} must be a positive integer, got '{}'", item, what, text)};
  }
  return v;
}

}  // namespace

Result<ClusterSpec> ParseClusterSpec(std::string_view text, const catalog::Catalog& catalog) {
  ClusterSpec spec;
  const catalog::Accelerator* reference = nullptr;
  int64_t total_nodes = 0, total_gpus = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = Trim(text.substr(start, end - start));
    start = end + 1;
    if (item.empty()) {
      return Error{
          fmt::format("--cluster: empty item in '{}'; expected items such as "
                      "'h100-sxm5-80gb:1250x8'",
                      text)};
    }
    const size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      return Error{
          fmt::format("--cluster: '{}': expected <accelerator>:<nodes>x<gpus per node> "
                      "or <accelerator>:<gpus>, e.g. 'h100-sxm5-80gb:1250x8'",
                      item)};
    }
    auto accel = catalog.Find(Trim(item.substr(0, colon)));
    if (!accel) return Error{"--cluster: " + accel.error().message};
    const std::string_view size = Trim(item.substr(colon + 1));
    NodeGroup group;
    group.accelerator = (*accel)->id;
    const size_t x = size.find('x');
    if (x == std::string_view::npos) {
      auto gpus = ParseCount(size, item, "the GPU count");
      if (!gpus) return gpus.error();
      group.gpus_per_node = (*accel)->gpus_per_node;
      if (*gpus % group.gpus_per_node != 0) {
        return Error{
            fmt::format("--cluster: '{}': {} GPUs is not a whole number of {}-GPU nodes; "
                        "write <nodes>x<gpus per node>",
                        item, *gpus, group.gpus_per_node)};
      }
      group.num_nodes = static_cast<int>(*gpus / group.gpus_per_node);
    } else {
      auto nodes = ParseCount(size.substr(0, x), item, "the node count");
      if (!nodes) return nodes.error();
      auto per_node = ParseCount(size.substr(x + 1), item, "GPUs per node");
      if (!per_node) return per_node.error();
      if (*per_node > 1024) {
        return Error{fmt::format("--cluster: '{}': at most 1024 GPUs per node", item)};
      }
      group.num_nodes = static_cast<int>(*nodes);
      group.gpus_per_node = static_cast<int>(*per_node);
    }
    total_nodes += group.num_nodes;
    total_gpus += int64_t{group.num_nodes} * group.gpus_per_node;
    if (total_nodes > kMaxNodes || total_gpus > kMaxGpus) {
      return Error{
          fmt::format("--cluster: '{}': the cluster would have {} nodes and {} GPUs; the "
                      "limits are {} nodes and {} GPUs",
                      item, total_nodes, total_gpus, kMaxNodes, kMaxGpus)};
    }
    if (reference == nullptr) {
      reference = *accel;
      spec.reference_accelerator = reference->id;
    }
    group.relative_speed = RelativeSpeed(**accel, *reference);
    spec.groups.push_back(std::move(group));
  }
  for (const catalog::Accelerator& a : catalog.accelerators()) {
    spec.known_speeds.push_back({a.id, RelativeSpeed(a, *reference)});
  }
  return spec;
}

Result<ClusterSpec> ClusterFromOpenbNodes(const std::vector<trace::OpenbNode>& nodes) {
  ClusterSpec spec;
  std::map<std::pair<std::string, int>, int> count;  // sorted: deterministic group order
  for (const trace::OpenbNode& n : nodes) {
    if (n.gpus > 0) ++count[{n.model, n.gpus}];
  }
  if (count.empty()) return Error{"openb node list: no GPU nodes"};
  for (const auto& [key, num] : count) {
    spec.groups.push_back(NodeGroup{.accelerator = key.first,
                                    .num_nodes = num,
                                    .gpus_per_node = key.second,
                                    .relative_speed = 1});
  }
  spec.reference_accelerator = spec.groups.front().accelerator;
  return spec;
}

}  // namespace gpuplan::sim
