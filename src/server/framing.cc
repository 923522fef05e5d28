#include "server/framing.h"

#include <boost/beast/core/string.hpp>
#include <iterator>
#include <string_view>
#include <vector>

namespace cctv::server {

namespace http = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_chunked(std::string_view coding) {
  return boost::beast::iequals(boost::beast::string_view(coding.data(), coding.size()), "chunked");
}

// The transfer codings of every Transfer-Encoding line, in order; empty
// list elements skipped (RFC 9110 §5.6.1).
std::vector<std::string_view> codings(const http::request_header<http::fields>& header) {
  std::vector<std::string_view> out;
  const auto [first, last] = header.equal_range(http::field::transfer_encoding);
  for (auto it = first; it != last; ++it) {
    std::string_view list(it->value().data(), it->value().size());
    while (true) {
      const std::size_t comma = list.find(',');
      const std::string_view element = trim(list.substr(0, comma));
      if (!element.empty()) out.push_back(element);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return out;
}

FramingFault bad(std::string message) {
  return FramingFault{http::status::bad_request, std::move(message)};
}

}  // namespace

std::optional<FramingFault> framing_fault(const http::request_header<http::fields>& header) {
  const auto hosts = header.equal_range(http::field::host);
  const auto host_lines = std::distance(hosts.first, hosts.second);
  if (host_lines > 1) return bad("the request has more than one Host header; send one");
  if (host_lines == 0 && header.version() >= 11) {
    return bad("an HTTP/1.1 request needs a Host header");
  }

  const bool has_transfer_encoding = header.count(http::field::transfer_encoding) > 0;
  if (!has_transfer_encoding) return std::nullopt;
  if (header.version() < 11) {
    return bad("Transfer-Encoding in an HTTP/1.0 request cannot be trusted to frame it (RFC 9112 "
               "§6.1); send a Content-Length");
  }
  if (header.count(http::field::content_length) > 0) {
    return bad("the request has both Transfer-Encoding and Content-Length; send one of them");
  }
  const std::vector<std::string_view> list = codings(header);
  if (list.empty() || !is_chunked(list.back())) {
    return bad("the request's Transfer-Encoding does not end in chunked, so where its body ends "
               "is unknown (RFC 9112 §6.3); send Transfer-Encoding: chunked or a Content-Length");
  }
  for (std::size_t i = 0; i + 1 < list.size(); ++i) {
    if (is_chunked(list[i])) return bad("the request's Transfer-Encoding applies chunked twice");
  }
  if (list.size() > 1) {
    return FramingFault{http::status::not_implemented,
                        "transfer codings other than chunked (" + std::string(list.front().substr(0, 40)) +
                            ") are not supported; send the body uncompressed"};
  }
  return std::nullopt;
}

}  // namespace cctv::server
