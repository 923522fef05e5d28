#include "cctv/error.h"

namespace cctv {

InvalidArgument::InvalidArgument(std::string field, const std::string& rule)
    : Error(field + ": " + rule), field_(std::move(field)) {}

}  // namespace cctv
