// BoardBus: HostBus calls as bridge frames, with write bursts collected on the way.
#include "sw/board/board_bus.h"

#include <fmt/format.h>

#include <algorithm>

#include "sw/core/driver.h"
#include "sw/core/error.h"

namespace tinylpu {

BoardBus::BoardBus(ByteChannel& channel, CoreConfig config)
    : channel_(channel), config_(std::move(config)) {
  const uint32_t word = Transact(bridge::Command::kInfo, 0, 1, {}, 1).at(0);
  info_.version = static_cast<int>(word & 0xff);
  info_.max_burst = static_cast<int>(word >> 16);
  if (info_.version != bridge::kVersion) {
    throw Error(
        fmt::format("the board's host bridge speaks protocol version {}; this tinylpu "
                    "speaks version {}",
                    info_.version, bridge::kVersion));
  }
  if (info_.max_burst < 1 || info_.max_burst > bridge::kMaxWordsPerFrame) {
    throw Error(
        fmt::format("the board's host bridge reports a burst limit of {} words", info_.max_burst));
  }
}

BoardBus::~BoardBus() {
  try {
    Flush();
  } catch (const Error&) {
    // A destructor cannot report it; the writes are lost, as on any broken line.
  }
}

std::vector<uint32_t> BoardBus::Transact(bridge::Command cmd, uint32_t addr, int count,
                                         std::span<const uint32_t> data, int response_words) {
  const std::vector<uint8_t> request = bridge::EncodeRequest(cmd, addr, count, data);
  channel_.Send(request);
  ++stats_.frames;
  stats_.bytes_sent += static_cast<int64_t>(request.size());
  // Sync and status first: an error response has no payload.
  std::vector<uint8_t> frame = channel_.Receive(2);
  const bool ok =
      frame[0] == bridge::kSyncResponse && frame[1] == static_cast<uint8_t>(bridge::Status::kOk);
  const std::vector<uint8_t> rest =
      channel_.Receive(ok ? static_cast<size_t>(bridge::ResponseSize(response_words) - 2) : 1);
  frame.insert(frame.end(), rest.begin(), rest.end());
  stats_.bytes_received += static_cast<int64_t>(frame.size());
  return bridge::DecodeResponse(frame, response_words);
}

void BoardBus::Flush() {
  if (pending_.empty()) return;
  std::vector<uint32_t> words;
  words.swap(pending_);
  Transact(bridge::Command::kWrite, pending_addr_, static_cast<int>(words.size()), words, 0);
  ++stats_.write_frames;
  stats_.words_written += static_cast<int64_t>(words.size());
}

void BoardBus::Write(uint32_t addr, uint32_t data) {
  if (addr == RegAddr(isa::kHostRegCtrl) && (data & 1) != 0) {
    Flush();
    Transact(bridge::Command::kRun, 0, 1, {}, 2);
    return;
  }
  const bool extends = !pending_.empty() && static_cast<int>(pending_.size()) < info_.max_burst &&
                       addr == next_addr_;
  if (!extends) {
    Flush();
    pending_addr_ = addr;
  }
  next_addr_ = bridge::NextAddr(addr, config_.lanes);
  pending_.push_back(data);
}

uint32_t BoardBus::Read(uint32_t addr) {
  Flush();
  return Transact(bridge::Command::kRead, addr, 1, {}, 1).at(0);
}

std::vector<uint32_t> BoardBus::ReadBurst(uint32_t addr, int count) {
  Flush();
  std::vector<uint32_t> out;
  out.reserve(static_cast<size_t>(std::max(count, 0)));
  while (count > 0) {
    const int n = std::min(count, bridge::kMaxWordsPerFrame);
    const std::vector<uint32_t> words = Transact(bridge::Command::kRead, addr, n, {}, n);
    out.insert(out.end(), words.begin(), words.end());
    for (int i = 0; i < n; ++i) addr = bridge::NextAddr(addr, config_.lanes);
    count -= n;
  }
  return out;
}

void BoardBus::Tick(int64_t /*cycles*/) { Flush(); }

bool BoardBus::Done() const {
  // Reading STATUS changes nothing on the board; the bus object's pending writes and
  // statistics do change, hence the cast.
  auto* self = const_cast<BoardBus*>(this);
  const uint32_t status = self->Read(RegAddr(isa::kHostRegStatus));
  return (status & 2) != 0;
}

void BoardBus::SetTraceSink(TraceSink* sink) {
  if (sink != nullptr) {
    throw Error("a board has no trace port: lockstep and traces need a simulated engine");
  }
}

std::unique_ptr<BoardBus> ConnectBoard(ByteChannel& channel, const CoreConfig& config) {
  auto bus = std::make_unique<BoardBus>(channel, config);
  CheckCoreConfig(*bus);
  return bus;
}

}  // namespace tinylpu
