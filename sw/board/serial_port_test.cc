// Tests of SerialPort on a pseudo-terminal: raw bytes both ways, the time-out, clear errors.
#include "sw/board/serial_port.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

// A pseudo-terminal pair: the test holds the master, SerialPort opens the slave by name.
class Pty {
 public:
  Pty() {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ >= 0 && ::grantpt(master_) == 0 && ::unlockpt(master_) == 0) {
      name_ = ::ptsname(master_);
    }
  }
  ~Pty() {
    if (master_ >= 0) ::close(master_);
  }
  bool ok() const { return !name_.empty(); }
  const std::string& name() const { return name_; }
  int master() const { return master_; }

 private:
  int master_ = -1;
  std::string name_;
};

TEST(SerialPortTest, MovesRawBytesBothWays) {
  Pty pty;
  if (!pty.ok()) GTEST_SKIP() << "no pseudo-terminals on this machine";
  SerialPort port(pty.name(), 115200, 2000);
  // Bytes a terminal would interpret (CR, ^C, ^D, 0xff, NUL) must pass untouched.
  const std::vector<uint8_t> out = {0xa5, 0x0d, 0x03, 0x04, 0xff, 0x00, 0x0a};
  port.Send(out);
  std::vector<uint8_t> seen(out.size());
  size_t got = 0;
  while (got < seen.size()) {
    const ssize_t n = ::read(pty.master(), seen.data() + got, seen.size() - got);
    ASSERT_GT(n, 0);
    got += static_cast<size_t>(n);
  }
  EXPECT_EQ(seen, out);

  const std::vector<uint8_t> in = {0x5a, 0x00, 0x11, 0x13, 0x7f};
  ASSERT_EQ(::write(pty.master(), in.data(), in.size()), static_cast<ssize_t>(in.size()));
  EXPECT_EQ(port.Receive(in.size()), in);
}

TEST(SerialPortTest, TimesOutWithACount) {
  Pty pty;
  if (!pty.ok()) GTEST_SKIP() << "no pseudo-terminals on this machine";
  SerialPort port(pty.name(), 115200, 50);
  const uint8_t one = 0x42;
  ASSERT_EQ(::write(pty.master(), &one, 1), 1);
  try {
    port.Receive(3);
    FAIL() << "Receive returned without the bytes";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1 of 3 bytes within 50 ms"), std::string::npos)
        << e.what();
  }
}

TEST(SerialPortTest, NamesTheDeviceAndTheReason) {
  try {
    SerialPort port("/dev/tinylpu-no-such-port", 115200);
    FAIL() << "opened a device that does not exist";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/tinylpu-no-such-port: cannot open"),
              std::string::npos)
        << e.what();
  }
  try {
    SerialPort port("/dev/null", 115200);
    FAIL() << "configured /dev/null as a serial port";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a serial port"), std::string::npos) << e.what();
  }
  Pty pty;
  if (pty.ok()) {
    EXPECT_THROW(SerialPort(pty.name(), 12345), Error);
  }
}

}  // namespace
}  // namespace tinylpu
