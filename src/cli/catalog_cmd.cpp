// gpuplan catalog list|show ID: the accelerators gpuplan knows and the figures sizing uses.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/table.h"
#include "scenario/scenario.h"

namespace gpuplan::cli {

namespace {

struct CatalogFlags {
  std::string catalog_path;  // empty: data/accelerators.toml
  std::string id;
  bool json = false;
  bool csv = false;
};

Result<catalog::Catalog> LoadCatalog(const std::string& path) {
  return path.empty() ? catalog::Catalog::LoadDefault() : catalog::Catalog::Load(path);
}

int RunCatalogList(const CatalogFlags& flags, std::ostream& out, std::ostream& err) {
  if (flags.json && flags.csv) return ReportBadInput(Error{"give --json or --csv, not both"}, err);
  auto cat = LoadCatalog(flags.catalog_path);
  if (!cat) return ReportBadInput(cat.error(), err);
  if (flags.json) {
    out << catalog::CatalogJson(*cat).dump(2) << "\n";
    return kExitOk;
  }
  const catalog::CostPolicy& policy = catalog::kDefaultCostPolicy;
  Table table({{"id", "id", true},
               {"vendor", "vendor", true},
               {"year", "year"},
               {"bf16 TF/s", "dense_bf16_tflops"},
               {"fp8 TF/s", "dense_fp8_tflops"},
               {"mem GB", "memory_gb"},
               {"TB/s", "memory_tbps"},
               {"link GB/s", "scaleup_gbps_per_direction"},
               {"domain", "scaleup_domain"},
               {"TDP W", "tdp_w"},
               {"TPP", "tpp_per_gpu"},
               {"GPU USD", "price_usd"},
               {"node USD", "default_node_price_usd"},
               {"USD/GPU-h", "usd_per_gpu_hour"},
               {"price source", "price_source", true}});
  for (const auto& a : cat->accelerators()) {
    const bool priced = a.price_usd > 0;
    const double hour = catalog::CostPerGpuHour(policy, a).total_usd();
    auto money = [&](double usd, std::string text) {
      return priced ? Number(usd, std::move(text)) : Missing();
    };
    table.AddRow(
        {a.id, a.vendor, Count(a.year),
         Number(a.peak_bf16_flop_per_s / 1e12,
                fmt::format("{:.0f}", a.peak_bf16_flop_per_s / 1e12)),
         a.has_fp8() ? Number(a.peak_fp8_flop_per_s / 1e12,
                              fmt::format("{:.0f}", a.peak_fp8_flop_per_s / 1e12))
                     : Missing(),
         Number(a.memory_bytes / 1e9, fmt::format("{:.0f}", a.memory_bytes / 1e9)),
         Number(a.memory_bandwidth_bytes_per_s / 1e12,
                fmt::format("{:.2f}", a.memory_bandwidth_bytes_per_s / 1e12)),
         Number(a.scaleup_bytes_per_s / 1e9,  // CSV per direction, as --json
                fmt::format("{:.0f}", 2 * a.scaleup_bytes_per_s / 1e9)),
         Count(a.scaleup_domain), Number(a.tdp_w, fmt::format("{:.0f}", a.tdp_w)),
         Number(a.tpp, fmt::format("{:.0f}", a.tpp)),
         money(a.price_usd, FormatQuantity(a.price_usd)),
         money(catalog::DefaultNodePriceUsd(a, policy),
               FormatQuantity(catalog::DefaultNodePriceUsd(a, policy))),
         money(hour, fmt::format("{:.2f}", hour)),
         Cell((priced ? a.price_source : "no public price: give node_price in the scenario") +
                  std::string(a.assumed.empty() ? "" : "  *"),
              priced ? a.price_source : "")});
  }
  if (flags.csv) {
    out << table.Csv();
    return kExitOk;
  }
  out << table.Text();
  out << fmt::format(
      "dense peaks per accelerator; link = scale-up, bidirectional; * = some figures assumed (see "
      "'gpuplan catalog show ID')\nGPU USD = public estimate, one accelerator; node USD = the "
      "default node_price of a scenario: {} x GPU USD x GPUs per node (servers, CPUs, memory, "
      "NICs); USD/GPU-h = what one GPU-hour costs under the cost policy\n{}\n",
      policy.server_price_over_gpus, catalog::CostPolicyLine(policy));
  return kExitOk;
}

int RunCatalogShow(const CatalogFlags& flags, std::ostream& out, std::ostream& err) {
  auto cat = LoadCatalog(flags.catalog_path);
  if (!cat) return ReportBadInput(cat.error(), err);
  auto a = cat->Find(flags.id);
  if (!a) return ReportBadInput(a.error(), err);
  const nlohmann::ordered_json j = catalog::AcceleratorJson(**a);
  if (flags.json) {
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "assumed") continue;
    out << fmt::format("{:<28} {}\n", key,
                       value.is_string() ? value.get<std::string>() : value.dump());
  }
  for (const auto& as : (*a)->assumed) {
    out << fmt::format("assumed {:<20} {} ({})\n", as.field, as.value, as.reason);
  }
  return kExitOk;
}

}  // namespace

void AddCatalogCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<CatalogFlags>();
  CLI::App* cmd = app.add_subcommand("catalog",
                                     "the accelerators gpuplan knows\n\n"
                                     "Examples:\n"
                                     "  gpuplan catalog list\n"
                                     "  gpuplan catalog show h100-sxm5-80gb --json");
  cmd->require_subcommand(1);
  cmd->add_option("--catalog", flags->catalog_path,
                  "catalog TOML (default: data/accelerators.toml)");
  CLI::App* list =
      cmd->add_subcommand("list", "one line per accelerator: peaks, memory, TPP, prices");
  list->add_flag("--json", flags->json, "print exactly one JSON object on stdout");
  list->add_flag("--csv", flags->csv, "print the table as CSV (columns named as in --json)");
  list->callback([flags, &exit_code, &out, &err] { exit_code = RunCatalogList(*flags, out, err); });
  CLI::App* show = cmd->add_subcommand("show", "every figure of one accelerator, with its source");
  show->add_option("id", flags->id, "accelerator id, e.g. h100-sxm5-80gb")->required();
  show->add_flag("--json", flags->json, "print exactly one JSON object on stdout");
  show->callback([flags, &exit_code, &out, &err] { exit_code = RunCatalogShow(*flags, out, err); });
}

}  // namespace gpuplan::cli
