// `${...}` interpolation over the located config tree.
//
// Each scalar is scanned once, left to right; what a reference inserts is
// never scanned again. Every node being resolved is on a stack, so a
// reference to a node on it (an ancestor, or a node whose resolution led
// here) is a cycle, whichever way it was reached. Copies are charged to a
// Budget before they are made.
#include <cstdlib>
#include <regex>
#include <set>

#include "itwin/config/checks.hpp"
#include "itwin/config/load.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::config {
namespace {

Node* lookup(Node& root, const std::string& path) {
  Node* cur = &root;
  for (const auto& seg : split(path, '.')) {
    if (cur->is_map()) {
      cur = cur->find(seg);
    } else if (cur->is_seq()) {
      char* end = nullptr;
      long i = std::strtol(seg.c_str(), &end, 10);
      cur = (!seg.empty() && *end == '\0' && i >= 0 && static_cast<size_t>(i) < cur->seq.size())
                ? &cur->seq[static_cast<size_t>(i)]
                : nullptr;
    } else {
      cur = nullptr;
    }
    if (!cur) return nullptr;
  }
  return cur;
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// The text of a scalar that holds secrets, with every other reference
// already replaced: literal text escaped (`${` -> `$${`), secrets kept as
// `${secret:NAME}`. Loading it again gives the same value.
class SecretText {
 public:
  explicit SecretText(const Mark& at) : at_(at) {}
  void text(const std::string& s) { pending_ += s; }
  void secret(const std::string& tmpl) {
    flush();
    put(tmpl);
    used_ = true;
  }
  bool used() const { return used_; }
  std::string str() {
    flush();
    return out_;
  }

 private:
  void flush() {
    std::string escaped;
    for (size_t p = 0; p < pending_.size(); ++p) {
      if (pending_[p] == '$' && p + 1 < pending_.size() && pending_[p + 1] == '{') escaped += '$';
      escaped += pending_[p];
    }
    pending_.clear();
    put(escaped);
  }
  // A '$' followed by '{' would read back as a reference (or, doubled, as an escape).
  void put(const std::string& piece) {
    if (!out_.empty() && out_.back() == '$' && !piece.empty() &&
        (piece[0] == '{' || piece.compare(0, 2, "${") == 0)) {
      throw ConfigError(at_.str() +
                        ": a '$' right before a secret or a '{' cannot be written back with the "
                        "secret unresolved; put another character between them");
    }
    out_ += piece;
  }
  Mark at_;
  std::string pending_, out_;
  bool used_ = false;
};

class Interpolator {
 public:
  explicit Interpolator(Node& root) : root_(root) {
    budget_.add(size_of(root), root.mark, "the config");
  }

  void resolve(Node& n, const std::string& path) {
    if (done_.count(&n)) return;
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i].node == &n) cycle(i, path);
    }
    stack_.push_back({&n, path});
    if (n.is_scalar()) {
      resolve_scalar(n);
    } else {
      for (auto& e : n.map) resolve(*e.value, child_path(path, e.key));
      for (size_t i = 0; i < n.seq.size(); ++i)
        resolve(n.seq[i], child_path(path, std::to_string(i)));
    }
    stack_.pop_back();
    done_.insert(&n);
  }

 private:
  struct Frame {
    const Node* node;
    std::string path;
  };

  // The innermost scalar being resolved: where the reference that closed the cycle is written.
  const Node& referrer() const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it)
      if (it->node->is_scalar()) return *it->node;
    return *stack_.back().node;
  }

  [[noreturn]] void cycle(size_t from, const std::string& again) {
    std::vector<std::string> chain, places;
    for (size_t j = from; j < stack_.size(); ++j) {
      chain.push_back(stack_[j].path);
      places.push_back(stack_[j].path + " at " + stack_[j].node->mark.str());
    }
    chain.push_back(again);
    throw ConfigError(referrer().mark.str() + ": interpolation cycle: " + join(chain, " -> ") +
                      " (" + join(places, ", ") + ")");
  }

  // Finds what `${ref}` points at and resolves it first.
  Node* target(const std::string& ref, const Node& at) {
    std::string path = ref;
    Node* t = nullptr;
    if (Node* vars = root_.find("vars")) {
      t = lookup(*vars, ref);
      if (t) path = "vars." + ref;
    }
    if (!t) t = lookup(root_, ref);
    if (!t) {
      std::vector<std::string> names = root_.keys();
      if (const Node* vars = root_.find("vars")) {
        for (const auto& k : vars->keys()) names.push_back(k);
      }
      throw ConfigError(at.mark.str() + ": unknown reference '${" + ref + "}'" +
                        did_you_mean(ref, names));
    }
    resolve(*t, path);
    return t;
  }

  std::string env_value(const std::string& spec, const Node& at) {
    std::string name = spec, def;
    bool has_def = false;
    auto p = spec.find(":-");
    if (p != std::string::npos) {
      name = spec.substr(0, p);
      def = spec.substr(p + 2);
      has_def = true;
    }
    if (const char* v = std::getenv(name.c_str())) return v;
    if (has_def) return def;
    throw ConfigError(at.mark.str() + ": environment variable '" + name +
                      "' is not set (write ${env:" + name + ":-default} to give a default)");
  }

  std::string secret_value(const std::string& name, const Node& at) {
    static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
    if (!std::regex_match(name, kName)) {
      throw ConfigError(
          at.mark.str() + ": '${secret:" + printable(name) +
          "}': a secret is the name of an environment variable (letters, digits, '_'), "
          "without a default");
    }
    const char* v = std::getenv(name.c_str());
    if (!v) {
      throw ConfigError(at.mark.str() + ": secret '" + name + "' is not set: export " + name +
                        " where itwin runs (for a SLURM job, where the job runs)");
    }
    return v;
  }

  void mark_done(const Node& n) {
    done_.insert(&n);
    for (const auto& e : n.map) mark_done(*e.value);
    for (const auto& c : n.seq) mark_done(c);
  }

  void append(std::string& out, const std::string& piece, const Node& at) {
    if (out.size() + piece.size() > kMaxScalarBytes) {
      throw ConfigError(at.mark.str() + ": value is longer than " +
                        std::to_string(kMaxScalarBytes) + " bytes after interpolation");
    }
    out += piece;
  }

  void resolve_scalar(Node& n) {
    const std::string s = n.scalar;  // n may be replaced by a whole reference below
    if (s.find("${") == std::string::npos) return;
    std::string out;
    SecretText secret(n.mark);
    bool literal = false;
    size_t i = 0;
    while (i < s.size()) {
      if (s.compare(i, 3, "$${") == 0) {
        append(out, "${", n);
        secret.text("${");
        i += 3;
        literal = true;
        continue;
      }
      if (s.compare(i, 2, "${") != 0) {
        size_t next = s.find('$', i + 1);
        if (next == std::string::npos) next = s.size();
        std::string run = s.substr(i, next - i);
        append(out, run, n);
        secret.text(run);
        i = next;
        continue;
      }
      size_t close = s.find('}', i + 2);
      if (close == std::string::npos)
        throw ConfigError(n.mark.str() + ": unterminated '${' in '" + s + "'");
      std::string ref = trim(s.substr(i + 2, close - i - 2));
      if (ref.empty()) throw ConfigError(n.mark.str() + ": empty reference '${}'");
      if (starts_with(ref, "env:")) {
        std::string v = env_value(ref.substr(4), n);
        append(out, v, n);
        secret.text(v);
      } else if (starts_with(ref, "secret:")) {
        std::string name = trim(ref.substr(7));
        append(out, secret_value(name, n), n);
        secret.secret("${secret:" + name + "}");
      } else {
        Node* t = target(ref, n);
        if (i == 0 &&
            close == s.size() - 1) {  // the scalar is exactly one reference: take the node whole
          budget_.add(size_of(*t), n.mark, "interpolation");
          Mark keep = n.mark;
          Node copy = *t;
          if (copy.is_scalar()) copy.mark = keep;
          n = std::move(copy);
          mark_done(n);  // a copy of resolved text: never scanned again
          return;
        }
        if (!t->is_scalar()) {
          throw ConfigError(n.mark.str() + ": '${" + ref + "}' is " + t->describe() +
                            " and cannot be inserted into the text '" + s + "'");
        }
        append(out, t->scalar, n);
        if (t->secret_text.empty()) {
          secret.text(t->scalar);
        } else {
          secret.secret(t->secret_text);
        }
      }
      i = close + 1;
    }
    budget_.add({0, out.size()}, n.mark, "interpolation");
    check_text(out, n.mark, "value");
    n.scalar = std::move(out);
    if (secret.used()) n.secret_text = secret.str();
    if (literal) n.quoted = true;
  }

  Node& root_;
  Budget budget_;
  std::vector<Frame> stack_;
  std::set<const Node*> done_;
};

}  // namespace

void interpolate(Node& root) {
  Interpolator in(root);
  in.resolve(root, "");
}

}  // namespace itwin::config
