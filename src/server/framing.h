// Whether a request's header frames its message unambiguously (RFC 9112
// §6): where its body ends, and which host it is for. A request that
// fails is answered and its connection closed, since the bytes after it
// cannot be trusted to start the next request (request smuggling).
#ifndef CCTV_SERVER_FRAMING_H_
#define CCTV_SERVER_FRAMING_H_

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <optional>
#include <string>

namespace cctv::server {

struct FramingFault {
  boost::beast::http::status status;
  std::string message;
};

// Refuses, with 400: a Transfer-Encoding whose last coding is not chunked
// (chunked, identity; xchunked; identity), chunked given twice, a
// Transfer-Encoding beside a Content-Length, an HTTP/1.1 request without a
// Host or with more than one; with 501, a transfer coding other than chunked
// before it (gzip, chunked), which the server does not decode.
std::optional<FramingFault> framing_fault(
    const boost::beast::http::request_header<boost::beast::http::fields>& header);

}  // namespace cctv::server

#endif  // CCTV_SERVER_FRAMING_H_
