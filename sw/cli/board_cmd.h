// `tinylpu board`: talk to a board's UART host bridge (or the simulated board) from the CLI.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "sw/compiler/matmul.h"

namespace tinylpu {

// Registers `board info` and `board run` on `app`; Run() executes whichever was parsed.
class BoardCommand {
 public:
  explicit BoardCommand(CLI::App& app);

  bool parsed() const { return cmd_->parsed(); }
  // Exit status: 0 when the board answered (info) or ran the matmul bit- and cycle-exact.
  int Run();

 private:
  int Info();
  int RunMatmulOnBoard();

  CLI::App* cmd_;
  CLI::App* info_cmd_;
  CLI::App* run_cmd_;
  std::string port_;
  int baud_ = 115200;
  int timeout_ms_ = 10000;
  bool sim_ = false;
  std::string config_;
  MatmulShape shape_{16, 16, 16};
  uint64_t seed_ = 1;
  bool json_ = false;
};

}  // namespace tinylpu
