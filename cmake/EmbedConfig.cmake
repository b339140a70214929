# cmake -DINPUT=file.yaml -DOUTPUT=file.cpp [-DFUNCTION=name] -P EmbedConfig.cmake
# Writes a translation unit defining spct::config::<FUNCTION>() (default: embedded_default_config) with the
# file's text. A raw string
# literal with a delimiter that YAML configs do not contain keeps the text byte for byte.
if(NOT FUNCTION)
  set(FUNCTION embedded_default_config)
endif()
file(READ ${INPUT} text)
string(FIND "${text}" ")spct_yaml\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )spct_yaml\"")
endif()
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by cmake/EmbedConfig.cmake; do not edit.\n"
  "#include \"core/config/loader.h\"\n\n"
  "namespace spct::config {\n\n"
  "const std::string& ${FUNCTION}() {\n"
  "  static const std::string text = R\"spct_yaml(${text})spct_yaml\";\n"
  "  return text;\n}\n\n}  // namespace spct::config\n")
