# The distributed module's tests: test_distributed alone (one process, label distributed) and under
# mpirun with 2 and 4 processes (label mpi), which run every test of the binary on every process.
cairn_test(distributed)
# Root may start MPI jobs (CI runs as root), and 4 processes may share 2 cores (Open MPI's variables;
# other MPIs ignore them).
set(cairn_mpi_environment OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    OMPI_MCA_rmaps_base_oversubscribe=1)
foreach(processes 2 4)
  add_test(NAME distributed_mpi_np${processes}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${processes} ${MPIEXEC_PREFLAGS}
                   $<TARGET_FILE:test_distributed> ${MPIEXEC_POSTFLAGS})
  set_tests_properties(distributed_mpi_np${processes} PROPERTIES LABELS mpi TIMEOUT 120
                       ENVIRONMENT "${cairn_mpi_environment}")
endforeach()

# Whole jobs, started and killed by a script: exact resume at a fixed number of processes, a process
# killed mid-save, checkpoints of 4 processes restored in 1, 2 and 4 and consolidated by `cairn convert`.
add_executable(distributed_worker ${CMAKE_CURRENT_LIST_DIR}/worker/distributed_worker.cc)
target_link_libraries(distributed_worker PRIVATE cairn)
if(CAIRN_BUILD_TOOLS)
  add_test(NAME distributed_jobs
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/job_test.sh $<TARGET_FILE:distributed_worker> $<TARGET_FILE:cairn-cli>
                   ${MPIEXEC_EXECUTABLE})
  set_tests_properties(distributed_jobs PROPERTIES LABELS mpi TIMEOUT 300 ENVIRONMENT "${cairn_mpi_environment}")
  # `cairn train` under mpirun: 2 processes as 1, resumed at 2 (bit-identical, with Dropout too) and at 1.
  add_test(NAME distributed_train_cli
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/train_cli_test.sh $<TARGET_FILE:cairn-cli>
                   $<TARGET_FILE:distributed_worker> ${MPIEXEC_EXECUTABLE})
  set_tests_properties(distributed_train_cli PROPERTIES LABELS mpi TIMEOUT 300 ENVIRONMENT "${cairn_mpi_environment}")
endif()
