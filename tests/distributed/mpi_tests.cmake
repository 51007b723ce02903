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
