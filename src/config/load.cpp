// YAML text -> located config tree, with includes.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "itwin/config/load.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"

namespace fs = std::filesystem;

namespace itwin::config {
namespace {

// `{lr: ${lr}}` is invalid YAML (braces are flow syntax); say how to fix it.
std::string flow_hint(const std::string& text, int line0) {
  std::istringstream in(text);
  std::string line;
  for (int i = 0; i <= line0 && std::getline(in, line); ++i) {
  }
  if (line.find("${") != std::string::npos && line.find_first_of("{[") < line.find("${")) {
    return " (hint: inside {...} or [...] write references quoted, e.g. \"${lr}\", or use block style)";
  }
  return "";
}

struct Loader {
  std::vector<std::string> stack;  // canonical paths of files being loaded

  Mark mark_of(const std::shared_ptr<const std::string>& src, const YAML::Mark& m) {
    return Mark{src, m.line + 1, m.column + 1};
  }

  Node convert(const YAML::Node& y, const std::shared_ptr<const std::string>& src,
               const std::string& base_dir) {
    Mark m = mark_of(src, y.Mark());
    if (y.Tag() == "!include") {
      if (!y.IsScalar()) throw ConfigError(m.str() + ": !include expects a file path");
      return load_path(y.Scalar(), base_dir, m);
    }
    switch (y.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return Node(Node::Kind::Null, m);
      case YAML::NodeType::Scalar:
        return Node::scalar_of(y.Scalar(), m, y.Tag() == "!");
      case YAML::NodeType::Sequence: {
        Node n(Node::Kind::Seq, m);
        for (const auto& item : y) n.seq.push_back(convert(item, src, base_dir));
        return n;
      }
      case YAML::NodeType::Map: {
        Node n(Node::Kind::Map, m);
        for (const auto& kv : y) {
          Mark km = mark_of(src, kv.first.Mark());
          if (!kv.first.IsScalar()) throw ConfigError(km.str() + ": map keys must be plain names");
          const std::string key = kv.first.Scalar();
          if (const Entry* prev = n.find_entry(key)) {
            throw ConfigError(km.str() + ": duplicate key '" + key + "' (first defined at " +
                              prev->key_mark.str() + ")");
          }
          n.map.push_back({key, km, std::make_unique<Node>(convert(kv.second, src, base_dir))});
        }
        return n;
      }
    }
    return Node(Node::Kind::Null, m);
  }

  Node load_path(const std::string& rel, const std::string& base_dir, const Mark& from) {
    fs::path p = fs::path(rel).is_absolute() ? fs::path(rel) : fs::path(base_dir) / rel;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      std::string where = from.source ? from.str() + ": " : "";
      throw ConfigError(where + "cannot read '" + p.lexically_normal().string() +
                        "': " + (fs::exists(p, ec) ? "not a regular file" : "no such file"));
    }
    std::string canon = fs::canonical(p, ec).string();
    if (std::find(stack.begin(), stack.end(), canon) != stack.end()) {
      std::vector<std::string> chain(std::find(stack.begin(), stack.end(), canon), stack.end());
      chain.push_back(canon);
      throw ConfigError(from.str() + ": include cycle: " + join(chain, " -> "));
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) throw ConfigError(from.str() + ": cannot read '" + p.string() + "': " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    stack.push_back(canon);
    Node n = parse(ss.str(), p.lexically_normal().string(), p.parent_path().string());
    stack.pop_back();
    return n;
  }

  Node parse(const std::string& text, const std::string& name, const std::string& base_dir) {
    auto src = std::make_shared<const std::string>(name);
    YAML::Node y;
    try {
      y = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      Mark m = mark_of(src, e.mark);
      throw ConfigError(m.str() + ": YAML syntax error: " + e.msg + flow_hint(text, e.mark.line));
    }
    Node root = convert(y, src, base_dir.empty() ? "." : base_dir);
    if (root.is_null()) root = Node(Node::Kind::Map, Mark{src, 1, 1});
    if (!root.is_map()) throw ConfigError(root.mark.str() + ": a pipeline file must be a map of keys");
    absolute_plugin_paths(root, base_dir.empty() ? "." : base_dir);
    return expand_includes(std::move(root), base_dir);
  }

  // Top-level `plugins:` paths are relative to the file that names them, as
  // include paths are: made absolute here, the only moment the file is known
  // (a merged or snapshotted tree no longer says where an entry came from).
  // A path built by ${...} is left as it comes out of interpolation.
  static void absolute_plugin_paths(Node& root, const std::string& base_dir) {
    Node* p = root.find("plugins");
    if (!p) return;
    auto fix = [&](Node& n) {
      if (!n.is_scalar() || n.scalar.empty() || n.scalar.find("${") != std::string::npos) return;
      if (fs::path(n.scalar).is_relative())
        n.scalar = fs::absolute(fs::path(base_dir) / n.scalar).lexically_normal().string();
    };
    if (p->is_scalar()) fix(*p);
    if (p->is_seq()) {
      for (auto& n : p->seq) fix(n);
    }
  }

  // Top-level `include: [a.yaml, b.yaml]`: a, then b, then this file on top.
  Node expand_includes(Node root, const std::string& base_dir) {
    const Entry* inc = root.find_entry("include");
    if (!inc) return root;
    std::vector<const Node*> files;
    if (inc->value->is_scalar()) {
      files.push_back(inc->value.get());
    } else if (inc->value->is_seq()) {
      for (const auto& f : inc->value->seq) {
        if (!f.is_scalar()) throw ConfigError(f.mark.str() + ": include: expected a file path, got " + f.describe());
        files.push_back(&f);
      }
    } else {
      throw ConfigError(inc->value->mark.str() + ": include: expected a file path or a list of paths");
    }
    Node merged(Node::Kind::Map, root.mark);
    for (const Node* f : files) merge_into(merged, load_path(f->scalar, base_dir, f->mark));
    root.map.erase(std::remove_if(root.map.begin(), root.map.end(),
                                  [](const Entry& e) { return e.key == "include"; }),
                   root.map.end());
    merge_into(merged, root);
    return merged;
  }
};

}  // namespace

Node load_file(const std::string& path) {
  Loader l;
  return l.load_path(path, ".", Mark{});
}

Node load_string(const std::string& text, const std::string& name, const std::string& base_dir) {
  Loader l;
  return l.parse(text, name, base_dir);
}

}  // namespace itwin::config
