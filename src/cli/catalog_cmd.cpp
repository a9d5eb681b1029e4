// gpuplan catalog list|show ID: the accelerators gpuplan knows and the figures sizing uses.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "scenario/scenario.h"

namespace gpuplan::cli {

namespace {

struct CatalogFlags {
  std::string catalog_path;  // empty: data/accelerators.toml
  std::string id;
  bool json = false;
};

Result<catalog::Catalog> LoadCatalog(const std::string& path) {
  return path.empty() ? catalog::Catalog::LoadDefault() : catalog::Catalog::Load(path);
}

int RunCatalogList(const CatalogFlags& flags, std::ostream& out, std::ostream& err) {
  auto cat = LoadCatalog(flags.catalog_path);
  if (!cat) return ReportBadInput(cat.error(), err);
  if (flags.json) {
    out << catalog::CatalogJson(*cat).dump(2) << "\n";
    return kExitOk;
  }
  out << fmt::format(
      "{:<16} {:<7} {:>5} {:>9} {:>9} {:>7} {:>6} {:>8} {:>6} {:>6} {:>7} {:>8} {:>9}  {}\n", "id",
      "vendor", "year", "bf16 TF/s", "fp8 TF/s", "mem GB", "TB/s", "link GB/s", "domain", "TDP W",
      "TPP", "GPU USD", "node USD", "price source");
  for (const auto& a : cat->accelerators()) {
    const bool priced = a.price_usd > 0;
    out << fmt::format(
        "{:<16} {:<7} {:>5} {:>9.0f} {:>9} {:>7.0f} {:>6.2f} {:>8.0f} {:>6} {:>6.0f} {:>7.0f} "
        "{:>8} "
        "{:>9}  {}{}\n",
        a.id, a.vendor, a.year, a.peak_bf16_flop_per_s / 1e12,
        a.has_fp8() ? fmt::format("{:.0f}", a.peak_fp8_flop_per_s / 1e12) : "-",
        a.memory_bytes / 1e9, a.memory_bandwidth_bytes_per_s / 1e12,
        2 * a.scaleup_bytes_per_s / 1e9, a.scaleup_domain, a.tdp_w, a.tpp,
        priced ? FormatQuantity(a.price_usd) : "-",
        priced ? FormatQuantity(catalog::DefaultNodePriceUsd(a)) : "-",
        priced ? a.price_source : "no public price: give node_price in the scenario",
        a.assumed.empty() ? "" : "  *");
  }
  out << fmt::format(
      "dense peaks per accelerator; link = scale-up, bidirectional; * = some figures assumed (see "
      "'gpuplan catalog show ID')\nGPU USD = public estimate, one accelerator; node USD = the "
      "default node_price of a scenario: {} x GPU USD x GPUs per node (servers, CPUs, memory, "
      "NICs)\n",
      catalog::kServerPriceOverGpus);
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
  list->callback([flags, &exit_code, &out, &err] { exit_code = RunCatalogList(*flags, out, err); });
  CLI::App* show = cmd->add_subcommand("show", "every figure of one accelerator, with its source");
  show->add_option("id", flags->id, "accelerator id, e.g. h100-sxm5-80gb")->required();
  show->add_flag("--json", flags->json, "print exactly one JSON object on stdout");
  show->callback([flags, &exit_code, &out, &err] { exit_code = RunCatalogShow(*flags, out, err); });
}

}  // namespace gpuplan::cli
