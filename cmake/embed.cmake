# Writes INPUT into OUTPUT as `extern const std::string_view SYMBOL`.
file(READ "${INPUT}" content)
string(FIND "${content}" ")cb_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the embed delimiter")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT}; do not edit.\n#include <string_view>\n"
  "namespace clearbounce {\nextern const std::string_view ${SYMBOL};\n"
  "const std::string_view ${SYMBOL} = R\"cb_embed(${content})cb_embed\";\n}\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
