// BoardBus: a core on a board (or the Verilated board top) reached through its UART host
// bridge, behind the same HostBus interface as the simulators.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sw/board/bridge_protocol.h"
#include "sw/board/byte_channel.h"
#include "sw/core/host_bus.h"

namespace tinylpu {

struct BridgeInfo {
  int version = 0;    // the bridge's protocol version
  int max_burst = 0;  // words one WRITE may carry
};

struct BridgeStats {
  int64_t frames = 0;          // requests sent
  int64_t write_frames = 0;    // of which WRITE frames
  int64_t words_written = 0;   // host-port words they carried
  int64_t bytes_sent = 0;      // request bytes
  int64_t bytes_received = 0;  // response bytes
};

// Every HostBus call becomes bridge frames (docs/fpga.md, "Host bridge protocol"):
// - writes to consecutive host addresses (bridge::NextAddr) are collected into one WRITE frame
//   of up to the bridge's burst limit, sent before anything else happens on the bus;
// - a write of CTRL with the start bit becomes a RUN frame: the bridge starts the core and
//   answers when it is done, so Done() is true right after it;
// - Read() and Done() (which reads STATUS) are READ frames; Tick() only sends pending writes,
//   since the board's clock runs by itself; Time() is 0 (the bridge does not count cycles).
// Tracing is not available on a board: SetTraceSink with a sink throws Error. Any bridge or
// channel failure throws Error with the reason.
class BoardBus final : public HostBus {
 public:
  // Asks the bridge for its version and burst limit (INFO) and checks the version.
  BoardBus(ByteChannel& channel, CoreConfig config);
  ~BoardBus() override;

  const CoreConfig& config() const override { return config_; }
  void Write(uint32_t addr, uint32_t data) override;
  uint32_t Read(uint32_t addr) override;
  void Tick(int64_t cycles) override;
  bool Done() const override;
  uint64_t Time() const override { return 0; }
  void SetTraceSink(TraceSink* sink) override;

  // Sends the pending WRITE burst, if any.
  void Flush();
  // `count` words from consecutive host addresses, in READ frames of at most 256 words.
  std::vector<uint32_t> ReadBurst(uint32_t addr, int count);

  const BridgeInfo& info() const { return info_; }
  const BridgeStats& stats() const { return stats_; }

 private:
  // Sends one request and returns the payload of its response.
  std::vector<uint32_t> Transact(bridge::Command cmd, uint32_t addr, int count,
                                 std::span<const uint32_t> data, int response_words);

  ByteChannel& channel_;
  CoreConfig config_;
  BridgeInfo info_;
  BridgeStats stats_;
  uint32_t pending_addr_ = 0;  // host address of pending_[0]
  uint32_t next_addr_ = 0;     // host address that would extend the burst
  std::vector<uint32_t> pending_;
};

// BoardBus over `channel`, with the core's ID and CONFIG registers checked against `config`
// (CheckCoreConfig). Throws Error when the board runs another configuration.
std::unique_ptr<BoardBus> ConnectBoard(ByteChannel& channel, const CoreConfig& config);

}  // namespace tinylpu
