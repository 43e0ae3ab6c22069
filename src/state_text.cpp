#include "state_text.hpp"

#include <cstdio>

#include "gpurand/gpurand.hpp"

namespace gpurand::detail {
namespace {

std::string checksum(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, 64 bits
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

std::string show(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

void bad_state(const std::string& prefix, const std::string& why) {
  throw Error(errc::invalid_argument, prefix + why);
}

std::string seal_state(std::string_view magic, std::uint64_t version,
                       const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body = std::string(magic) + std::to_string(version);
  for (const auto& [key, value] : fields) body += " " + key + "=" + value;
  return body + " check=" + checksum(body);
}

std::uint64_t state_u64(std::string_view text, std::string_view field, const std::string& prefix) {
  const std::string f(field);
  if (text.empty() || text.size() > 20) bad_state(prefix, f + ": not a 64-bit number");
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') bad_state(prefix, f + ": not a number: " + show(text));
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) bad_state(prefix, f + ": does not fit in 64 bits");
    v = v * 10 + d;
  }
  return v;
}

std::vector<state_field> open_state(std::string_view text, std::string_view magic,
                                    std::uint64_t version, const std::string& prefix,
                                    std::string_view what) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  if (text.substr(0, magic.size()) != magic)
    bad_state(prefix, "does not start with " + show(magic) + " (not " + std::string(what) + ")");
  // The checksum first: whatever is wrong after it, a damaged text says so.
  const auto at = text.rfind(" check=");
  if (at == std::string_view::npos) bad_state(prefix, "no checksum (truncated?)");
  const std::string_view body = text.substr(0, at), check = text.substr(at + 7);
  const std::string_view after_magic = body.substr(magic.size());
  const std::string_view version_text = after_magic.substr(0, after_magic.find(' '));
  const std::uint64_t v = state_u64(version_text, "version", prefix);
  if (v != version)
    bad_state(prefix, "version " + std::to_string(v) +
                          " is not one this build of gpurand reads (it reads " +
                          std::to_string(version) + ")");
  const std::string want = checksum(body);
  if (check != want)
    bad_state(prefix, "checksum mismatch: the text says " + std::string(check) +
                          ", its content gives " + want + " (corrupted or edited)");
  std::vector<state_field> fields;
  std::string_view rest = after_magic.substr(version_text.size());
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the space before each field
    const auto end = rest.find(' ');
    const std::string_view token = rest.substr(0, end);
    const auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0)
      bad_state(prefix, "expected a field name=value, got " + show(token));
    fields.push_back({token.substr(0, eq), token.substr(eq + 1)});
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  return fields;
}

std::vector<std::string_view> fields_in_order(const std::vector<state_field>& fields,
                                              const std::vector<const char*>& names,
                                              const std::string& prefix) {
  std::vector<std::string_view> values;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i == fields.size()) bad_state(prefix, "missing field " + show(names[i]));
    if (fields[i].key != names[i])
      bad_state(prefix, "expected field " + show(names[i]) + ", got " +
                            show(std::string(fields[i].key) + "=" + std::string(fields[i].value)));
    values.push_back(fields[i].value);
  }
  if (fields.size() > names.size())
    bad_state(prefix, "unexpected text after the fields: " +
                          show(std::string(fields[names.size()].key) + "=" +
                               std::string(fields[names.size()].value)));
  return values;
}

}  // namespace gpurand::detail
