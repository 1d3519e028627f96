// Error: the exception every tinylpu library throws for bad input, with a user-facing message.
#pragma once

#include <stdexcept>
#include <string>

namespace tinylpu {

// Thrown for bad user input (assembly, configs, shapes, files). The message is complete and
// meant to be printed as is; programming errors are assertions, not Errors.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace tinylpu
