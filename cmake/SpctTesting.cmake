# Test helpers. Every test carries exactly one CTest label naming its suite, so each suite runs alone:
#   unit  fast, single process        ctest -L unit
#   mpi   real mpiexec, 2-5 ranks      ctest -L mpi
#   e2e   the spct binary end to end   ctest -L e2e
#   slurm a real slurmctld on localhost
#   multinode  namespace hosts on this machine, Open MPI over TCP (scripts/netns-hosts.sh)
#   gpu   needs a CUDA device (skipped where none exists)

find_package(Catch2 2 REQUIRED)

# The Python interpreter that holds the test references (python/requirements-test.txt: tokenizers, transformers,
# the torch wheel); scripts/build.sh passes the project's .venv. Tests reach it as the SPCT_PYTHON define (C++)
# or environment variable (scripts).
set(SPCT_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python with the test references")
# The project's shared test data (data/tokenizers/<name>/tokenizer.json, ...; oracle/ the offline node tokenizer),
# kept beside the source tree in CI and on the project machines. Tests that need it fail naming the missing path.
set(SPCT_SHARED_DIR "${PROJECT_SOURCE_DIR}/../shared" CACHE PATH "The shared test data directory")
include(Catch)

# Catch2 mains are compiled once, not per test executable.
add_library(spct_catch_main STATIC ${PROJECT_SOURCE_DIR}/tests/support/catch_main.cpp)
target_link_libraries(spct_catch_main PUBLIC Catch2::Catch2 PRIVATE spct::warnings)
add_library(spct_catch_mpi_main STATIC ${PROJECT_SOURCE_DIR}/tests/support/catch_mpi_main.cpp)
target_link_libraries(spct_catch_mpi_main PUBLIC Catch2::Catch2 MPI::MPI_CXX PRIVATE spct::warnings)

# Flags every mpiexec in the tests gets: tests run as root in CI and with more ranks than the 2 cores.
set(SPCT_MPIEXEC_FLAGS --allow-run-as-root --oversubscribe --bind-to none)

# spct_add_unit_test(NAME <exe> SOURCES <...> LIBS <...> [LABEL unit|gpu] [TIMEOUT s])
# One executable; each Catch2 TEST_CASE becomes its own CTest test.
function(spct_add_unit_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE spct_catch_main ${ARG_LIBS} spct::warnings)
  target_compile_definitions(${ARG_NAME} PRIVATE SPCT_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SPCT_PYTHON="${SPCT_PYTHON}"
    SPCT_SHARED_DIR="${SPCT_SHARED_DIR}")
  # Unit tests are single-threaded: the suite runs two at a time on the 2-core machines. --warn NoTests makes a
  # test whose name the executable does not match fail instead of passing with no test run (CTest cuts a name at
  # ';', so such a TEST_CASE name would otherwise never run).
  catch_discover_tests(${ARG_NAME} TEST_PREFIX "${ARG_NAME}: " EXTRA_ARGS --warn NoTests
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT OMP_NUM_THREADS=1)
endfunction()

# spct_add_mpi_test(NAME <exe> SOURCES <...> LIBS <...> RANKS <n> [<n>...] [TIMEOUT s])
# One executable run under mpiexec once per rank count; all ranks agree on pass/fail (tests/support).
function(spct_add_mpi_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;LIBS;RANKS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 180)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE spct_catch_mpi_main ${ARG_LIBS} spct::warnings)
  target_compile_definitions(${ARG_NAME} PRIVATE SPCT_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SPCT_PYTHON="${SPCT_PYTHON}")
  foreach(ranks ${ARG_RANKS})
    add_test(NAME "${ARG_NAME} (${ranks} ranks)"
      COMMAND ${MPIEXEC_EXECUTABLE} ${SPCT_MPIEXEC_FLAGS} -n ${ranks} $<TARGET_FILE:${ARG_NAME}>)
    set_tests_properties("${ARG_NAME} (${ranks} ranks)" PROPERTIES LABELS mpi TIMEOUT ${ARG_TIMEOUT}
      ENVIRONMENT OMP_NUM_THREADS=1)
  endforeach()
endfunction()

# spct_add_script_test(NAME <name> COMMAND <...> LABEL <label> [TIMEOUT s])
# A test that runs a shell script or the spct binary; the script gets SPCT_BINARY and SPCT_SOURCE_DIR.
function(spct_add_script_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL;TIMEOUT" "COMMAND" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # A ';' in the name makes it a CMake list: the test would get only the text before it as its name.
  list(LENGTH ARG_NAME name_parts)
  if(name_parts GREATER 1)
    message(FATAL_ERROR "test name '${ARG_NAME}' contains ';': use ',' instead")
  endif()
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_COMMAND})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "SPCT_BINARY=$<TARGET_FILE:spct>;SPCT_SOURCE_DIR=${PROJECT_SOURCE_DIR};SPCT_PYTHON=${SPCT_PYTHON};SPCT_SHARED_DIR=${SPCT_SHARED_DIR};OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
endfunction()
