// SerialPort: termios set-up, blocking writes and reads with a time limit.
#include "sw/board/serial_port.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sw/core/error.h"

namespace tinylpu {
namespace {

speed_t BaudConstant(int baud) {
  switch (baud) {
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 921600:
      return B921600;
    case 1000000:
      return B1000000;
    case 2000000:
      return B2000000;
    case 3000000:
      return B3000000;
    default:
      throw Error(fmt::format(
          "baud rate {} is not supported (9600, 19200, 38400, 57600, 115200, 230400, 460800, "
          "921600, 1000000, 2000000, 3000000)",
          baud));
  }
}

std::string SystemError() { return std::strerror(errno); }

}  // namespace

SerialPort::SerialPort(const std::string& path, int baud, int timeout_ms)
    : path_(path), timeout_ms_(timeout_ms) {
  const speed_t speed = BaudConstant(baud);
  fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot open serial port: {}", path, SystemError()));
  termios tio{};
  if (::tcgetattr(fd_, &tio) != 0) {
    const std::string why = SystemError();
    ::close(fd_);
    throw Error(fmt::format("{}: not a serial port: {}", path, why));
  }
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (::cfsetispeed(&tio, speed) != 0 || ::cfsetospeed(&tio, speed) != 0 ||
      ::tcsetattr(fd_, TCSANOW, &tio) != 0) {
    const std::string why = SystemError();
    ::close(fd_);
    throw Error(fmt::format("{}: cannot set {} baud 8N1: {}", path, baud, why));
  }
  ::tcflush(fd_, TCIOFLUSH);
}

SerialPort::~SerialPort() {
  if (fd_ >= 0) ::close(fd_);
}

void SerialPort::Send(std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw Error(fmt::format("{}: write failed: {}", path_, SystemError()));
    }
    done += static_cast<size_t>(n);
  }
}

std::vector<uint8_t> SerialPort::Receive(size_t n) {
  std::vector<uint8_t> out(n);
  size_t done = 0;
  while (done < n) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, timeout_ms_);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("{}: poll failed: {}", path_, SystemError()));
    }
    if (ready == 0) {
      throw Error(
          fmt::format("{}: no answer from the board: {} of {} bytes within {} ms (is the "
                      "bitstream loaded, the baud rate right?)",
                      path_, done, n, timeout_ms_));
    }
    const ssize_t got = ::read(fd_, out.data() + done, n - done);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw Error(fmt::format("{}: read failed: {}", path_, SystemError()));
    }
    if (got == 0 && (p.revents & (POLLHUP | POLLERR)) != 0) {
      throw Error(fmt::format("{}: the device went away after {} of {} bytes", path_, done, n));
    }
    done += static_cast<size_t>(got);
  }
  return out;
}

}  // namespace tinylpu
