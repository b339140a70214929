# Parquet prompt datasets (orchestrator/data/parquet_dataset.cpp) through the Arrow and Parquet C++ libraries
# that the pyarrow wheel ships (Debian has no Arrow), found through the same interpreter that provides torch
# (SPCT_PYTHON; scripts/build.sh passes it). Without pyarrow there the option turns itself off and spct reads
# JSONL only: a config naming a .parquet file then fails with a message saying so.
option(SPCT_WITH_PARQUET "Read Parquet prompt datasets with the pyarrow wheel's Arrow/Parquet C++ libraries" ON)
set(SPCT_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python with the test references")

set(SPCT_PARQUET_FOUND OFF)
if(SPCT_WITH_PARQUET)
  execute_process(
    COMMAND "${SPCT_PYTHON}" -c "import os, pyarrow; print(pyarrow.get_include()); print(os.path.dirname(pyarrow.__file__)); print(pyarrow.__version__)"
    OUTPUT_VARIABLE _spct_pyarrow RESULT_VARIABLE _spct_pyarrow_status ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_spct_pyarrow_status EQUAL 0)
    string(REPLACE "\n" ";" _spct_pyarrow "${_spct_pyarrow}")
    list(GET _spct_pyarrow 0 _spct_arrow_include)
    list(GET _spct_pyarrow 1 _spct_arrow_dir)
    list(GET _spct_pyarrow 2 _spct_arrow_version)
    # The wheel ships versioned libraries only (libarrow.so.2600), so they are named by full path.
    file(GLOB _spct_libarrow "${_spct_arrow_dir}/libarrow.so.*")
    file(GLOB _spct_libparquet "${_spct_arrow_dir}/libparquet.so.*")
    list(FILTER _spct_libarrow INCLUDE REGEX "libarrow\\.so\\.[0-9]+$")
    list(FILTER _spct_libparquet INCLUDE REGEX "libparquet\\.so\\.[0-9]+$")
  endif()
  if(_spct_libarrow AND _spct_libparquet AND EXISTS "${_spct_arrow_include}/parquet/arrow/reader.h")
    set(SPCT_PARQUET_FOUND ON)
    add_library(spct_parquet INTERFACE)
    add_library(spct::parquet ALIAS spct_parquet)
    target_include_directories(spct_parquet SYSTEM INTERFACE "${_spct_arrow_include}")
    target_link_libraries(spct_parquet INTERFACE ${_spct_libparquet} ${_spct_libarrow})
    # The programs find the wheel's libraries where they are, without LD_LIBRARY_PATH.
    target_link_options(spct_parquet INTERFACE "LINKER:-rpath,${_spct_arrow_dir}")
    message(STATUS "Parquet: on (pyarrow ${_spct_arrow_version} at ${_spct_arrow_dir})")
  else()
    message(STATUS "Parquet: off: ${SPCT_PYTHON} has no pyarrow with Arrow/Parquet C++ libraries "
                   "(pip install -r python/requirements.txt); data.path must be JSONL")
  endif()
else()
  message(STATUS "Parquet: off (SPCT_WITH_PARQUET=OFF); data.path must be JSONL")
endif()
