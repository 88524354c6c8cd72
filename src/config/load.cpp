// YAML text -> located config tree, with includes.
#include "itwin/config/load.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "itwin/config/checks.hpp"
#include "itwin/util/error.hpp"
#include "itwin/util/strings.hpp"
#include "yaml_events.hpp"

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
    return " (hint: inside {...} or [...] write references quoted, e.g. \"${lr}\", or use block "
           "style)";
  }
  return "";
}

// "name:line:col: " of the first byte that is not UTF-8, or "" when all is.
std::string utf8_problem(const std::string& text, const std::string& name) {
  auto bad = invalid_utf8(text);
  if (!bad) return "";
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < *bad; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[*bad]));
  return name + ":" + std::to_string(line) + ":" + std::to_string(*bad - line_start + 1) +
         ": invalid UTF-8 (byte " + byte + "); config files are UTF-8 text";
}

struct Loader {
  std::vector<std::string> stack;  // canonical paths of files being loaded
  Budget budget;                   // shared by every file of one load

  Node load_path(const std::string& rel, const std::string& base_dir, const Mark& from) {
    fs::path p = fs::path(rel).is_absolute() ? fs::path(rel) : fs::path(base_dir) / rel;
    std::error_code ec;
    std::string where = from.source ? from.str() + ": " : "";
    if (!fs::is_regular_file(p, ec)) {
      throw ConfigError(where + "cannot read '" + p.lexically_normal().string() +
                        "': " + (fs::exists(p, ec) ? "not a regular file" : "no such file"));
    }
    if (fs::file_size(p, ec) > kMaxFileBytes) {
      throw ConfigError(where + "'" + p.lexically_normal().string() + "' is larger than " +
                        std::to_string(kMaxFileBytes) + " bytes (the limit for a config file)");
    }
    std::string canon = fs::canonical(p, ec).string();
    if (std::find(stack.begin(), stack.end(), canon) != stack.end()) {
      std::vector<std::string> chain(std::find(stack.begin(), stack.end(), canon), stack.end());
      chain.push_back(canon);
      throw ConfigError(from.str() + ": include cycle: " + join(chain, " -> "));
    }
    std::ifstream in(p, std::ios::binary);
    if (!in)
      throw ConfigError(from.str() + ": cannot read '" + p.string() + "': " + std::strerror(errno));
    std::string text(kMaxFileBytes + 1, '\0');  // the file may have grown since file_size()
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    stack.push_back(canon);
    Node n = parse(text, p.lexically_normal().string(), p.parent_path().string());
    stack.pop_back();
    return n;
  }

  // One YAML document of any kind (a file's body or a --set value).
  Node build(const std::string& text, const std::shared_ptr<const std::string>& src,
             const std::string& base_dir) {
    if (text.size() > kMaxFileBytes) {
      throw ConfigError(*src + ": larger than " + std::to_string(kMaxFileBytes) +
                        " bytes (the limit for a config file)");
    }
    std::string bad = utf8_problem(text, *src);
    if (!bad.empty()) throw ConfigError(bad);
    IncludeFn include = [&](const std::string& path, const Mark& from) {
      return load_path(path, base_dir.empty() ? "." : base_dir, from);
    };
    try {
      return build_yaml(text, src, budget, include);
    } catch (const YAML::Exception& e) {
      Mark m{src, e.mark.line + 1, e.mark.column + 1};
      throw ConfigError(m.str() + ": YAML syntax error: " + e.msg + flow_hint(text, e.mark.line));
    }
  }

  Node parse(const std::string& text, const std::string& name, const std::string& base_dir) {
    auto src = std::make_shared<const std::string>(name);
    Node root = build(text, src, base_dir);
    if (root.is_null()) root = Node(Node::Kind::Map, Mark{src, 1, 1});
    if (!root.is_map())
      throw ConfigError(root.mark.str() + ": a pipeline file must be a map of keys");
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
        if (!f.is_scalar())
          throw ConfigError(f.mark.str() + ": include: expected a file path, got " + f.describe());
        files.push_back(&f);
      }
    } else {
      throw ConfigError(inc->value->mark.str() +
                        ": include: expected a file path or a list of paths");
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

Node load_value(const std::string& text, const std::string& name) {
  Loader l;
  return l.build(text, std::make_shared<const std::string>(name), ".");
}

}  // namespace itwin::config
