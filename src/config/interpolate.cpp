// `${...}` interpolation over the located config tree.
#include <cstdlib>
#include <map>
#include <set>

#include "itwin/config/load.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace itwin::config {
namespace {

const Node* lookup(const Node& root, const std::string& path) {
  const Node* cur = &root;
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

class Interpolator {
 public:
  explicit Interpolator(Node& root) : root_(root) { index_paths(root_, ""); }

  void resolve(Node& n) {
    if (done_.count(&n)) return;
    if (n.is_scalar()) {
      resolve_scalar(n);
    } else {
      for (auto& e : n.map) resolve(*e.value);
      for (auto& c : n.seq) resolve(c);
    }
    done_.insert(&n);
  }

 private:
  void index_paths(const Node& n, const std::string& path) {
    paths_[&n] = path;
    for (const auto& e : n.map) index_paths(*e.value, path.empty() ? e.key : path + "." + e.key);
    for (size_t i = 0; i < n.seq.size(); ++i) index_paths(n.seq[i], path + "." + std::to_string(i));
  }

  std::string path_of(const Node* n) const {
    auto it = paths_.find(n);
    return it == paths_.end() ? "?" : it->second;
  }

  // Finds what `${ref}` points at and makes sure it is resolved first.
  Node* target(const std::string& ref, const Node& at) {
    Node* t = nullptr;
    if (const Node* vars = root_.find("vars")) t = const_cast<Node*>(lookup(*vars, ref));
    if (!t) t = const_cast<Node*>(lookup(root_, ref));
    if (!t) {
      std::vector<std::string> names = root_.keys();
      if (const Node* vars = root_.find("vars")) {
        for (const auto& k : vars->keys()) names.push_back(k);
      }
      throw ConfigError(at.mark.str() + ": unknown reference '${" + ref + "}'" + did_you_mean(ref, names));
    }
    active_.push_back(&at);
    for (size_t i = 0; i < active_.size(); ++i) {
      if (active_[i] == t) {
        std::vector<std::string> chain;
        for (size_t j = i; j < active_.size(); ++j) chain.push_back(path_of(active_[j]));
        chain.push_back(path_of(t));
        throw ConfigError(at.mark.str() + ": interpolation cycle: " + join(chain, " -> "));
      }
    }
    resolve(*t);
    active_.pop_back();
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

  void resolve_scalar(Node& n) {
    const std::string& s = n.scalar;
    if (s.find("${") == std::string::npos) return;
    std::string out;
    size_t i = 0;
    int refs = 0;
    bool literal = false;
    while (i < s.size()) {
      if (s.compare(i, 3, "$${") == 0) {
        out += "${";
        i += 3;
        literal = true;
        continue;
      }
      if (s.compare(i, 2, "${") != 0) {
        out += s[i++];
        continue;
      }
      size_t close = s.find('}', i + 2);
      if (close == std::string::npos) throw ConfigError(n.mark.str() + ": unterminated '${' in '" + s + "'");
      std::string ref = trim(s.substr(i + 2, close - i - 2));
      if (ref.empty()) throw ConfigError(n.mark.str() + ": empty reference '${}'");
      ++refs;
      if (starts_with(ref, "env:")) {
        out += env_value(ref.substr(4), n);
      } else {
        Node* t = target(ref, n);
        bool whole = (i == 0 && close == s.size() - 1);
        if (whole) {  // the scalar is exactly one reference: take the node whole
          Mark keep = n.mark;
          Node copy = *t;
          if (copy.is_scalar()) copy.mark = keep;
          n = std::move(copy);
          return;
        }
        if (!t->is_scalar()) {
          throw ConfigError(n.mark.str() + ": '${" + ref + "}' is " + t->describe() +
                            " and cannot be inserted into the text '" + s + "'");
        }
        out += t->scalar;
      }
      i = close + 1;
    }
    (void)refs;
    n.scalar = out;
    if (literal) n.quoted = true;
  }

  Node& root_;
  std::set<const Node*> done_;
  std::vector<const Node*> active_;
  std::map<const Node*, std::string> paths_;
};

}  // namespace

void interpolate(Node& root) {
  Interpolator in(root);
  in.resolve(root);
}

}  // namespace itwin::config
