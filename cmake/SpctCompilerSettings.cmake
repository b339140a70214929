# Warnings, sanitizers and ccache, as an INTERFACE target every spct target links (spct::warnings).

if(SPCT_USE_CCACHE)
  find_program(SPCT_CCACHE ccache)
  if(SPCT_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER ${SPCT_CCACHE})
    message(STATUS "spct: compiling through ccache (${SPCT_CCACHE})")
  endif()
endif()

add_library(spct_warnings INTERFACE)
add_library(spct::warnings ALIAS spct_warnings)
target_compile_options(spct_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(SPCT_WARNINGS_AS_ERRORS)
  target_compile_options(spct_warnings INTERFACE -Werror)
endif()

if(SPCT_SANITIZE_ADDRESS AND SPCT_SANITIZE_THREAD)
  message(FATAL_ERROR "SPCT_SANITIZE_ADDRESS and SPCT_SANITIZE_THREAD cannot be combined")
endif()
if(SPCT_SANITIZE_ADDRESS)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(SPCT_SANITIZE_THREAD)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
