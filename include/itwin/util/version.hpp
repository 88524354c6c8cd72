#pragma once
/// What this build is: version, git commit, compiler, build type.

namespace itwin {

const char* version_string();
const char* git_commit();
const char* compiler_string();

}  // namespace itwin
