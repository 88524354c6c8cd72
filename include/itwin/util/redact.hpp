#pragma once
/// Credentials never reach a terminal, a log or a file itwin writes: every
/// text that may hold a URI or a server's answer goes through redact() before
/// it is printed or stored (provenance.json, summary.json, registry metadata,
/// MLflow params and tags, error messages).

#include <string>
#include <utility>

namespace itwin {

/// `text` with every secret replaced by `***`:
///   - the password of a URI's user info: `http://user:pass@host` -> `http://user:***@host`
///     (user info without a password, often a token, becomes `***`);
///   - the value of an `Authorization:` header, and of `Bearer X` / `Basic X`;
///   - the values of MLFLOW_TRACKING_TOKEN and MLFLOW_TRACKING_PASSWORD (and
///     their Basic form) and every secret given to add_secret(), wherever
///     they appear (a server that echoes a request back).
std::string redact(const std::string& text);

/// A URI without its user info (`http://user:pass@host:5000/x` ->
/// `http://host:5000/x`): the form a URI is compared, printed and stored in.
/// Other text is returned unchanged.
std::string strip_credentials(const std::string& uri);

/// The user name and password in the user info of `uri`, percent-decoded;
/// both empty when there is none.
std::pair<std::string, std::string> uri_credentials(const std::string& uri);

/// Registers a secret that redact() removes from then on (this process).
/// Secrets shorter than 4 characters are ignored (they would mangle text).
void add_secret(const std::string& secret);

/// Base64 (RFC 4648, with padding), as HTTP Basic authentication needs.
std::string base64(const std::string& in);

}  // namespace itwin
