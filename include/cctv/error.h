// The exceptions cctv throws. Every one derives from cctv::Error and its
// what() is a single line that says what was wrong and how to fix it: which
// table, field, limit or setting.
#ifndef CCTV_ERROR_H_
#define CCTV_ERROR_H_

#include <stdexcept>
#include <string>

#include "cctv/export.h"

namespace cctv {

// Base of every cctv exception.
class CCTV_EXPORT Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An input broke a rule: an empty actor, a reserved attribute name, a table
// name with a space, an unparseable time. field() names the input
// ("actor", "table name", "attribute 'timestamp'", ...). Nothing was written.
class CCTV_EXPORT InvalidArgument : public Error {
 public:
  InvalidArgument(std::string field, const std::string& rule);
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

// A table (or a store) that was asked for does not exist.
class CCTV_EXPORT NotFound : public Error {
 public:
  using Error::Error;
};

// A table that was asked to be created exists already.
class CCTV_EXPORT AlreadyExists : public Error {
 public:
  using Error::Error;
};

// The ingest queue stayed full for the whole enqueue timeout: the store is
// not keeping up. The activity was not accepted; the caller may retry it.
class CCTV_EXPORT Backpressure : public Error {
 public:
  using Error::Error;
};

// The store failed: an I/O error, corrupt data, a data directory held by
// another process, or writes that could not be completed.
class CCTV_EXPORT StoreError : public Error {
 public:
  using Error::Error;
};

// The store refuses writes because its disk is near full: the free space
// fell below the floor it keeps (the embedded store's min_free_mb), so that
// what it accepted already can still be written. Nothing was recorded. Reads
// keep working, and writes resume by themselves once space returns.
class CCTV_EXPORT StoreFull : public StoreError {
 public:
  using StoreError::StoreError;
};

}  // namespace cctv

#endif  // CCTV_ERROR_H_
