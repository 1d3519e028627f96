// SerialPort: a POSIX serial device (e.g. /dev/ttyUSB0, the ULX3S's FTDI) as a ByteChannel.
#pragma once

#include <string>

#include "sw/board/byte_channel.h"

namespace tinylpu {

// 8N1, no flow control, raw bytes. Throws Error with the device and the system's reason when
// the device cannot be opened or configured, and for a baud rate the system does not offer.
class SerialPort final : public ByteChannel {
 public:
  SerialPort(const std::string& path, int baud, int timeout_ms = 5000);
  ~SerialPort() override;
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  void Send(std::span<const uint8_t> bytes) override;
  // Waits at most timeout_ms for each byte after the previous one.
  std::vector<uint8_t> Receive(size_t n) override;

 private:
  std::string path_;
  int fd_ = -1;
  int timeout_ms_;
};

}  // namespace tinylpu
