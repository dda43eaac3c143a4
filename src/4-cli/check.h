/* finscope: `finscope check` — baselines and policy assertions for CI. */
#ifndef FINSCOPE_CHECK_H
#define FINSCOPE_CHECK_H

/* Runs `finscope check`; argv[0] is "check". Returns the exit status:
 * 0 every check passed, 1 one failed, 2 the checks could not run. */
int fs_check_main(int argc, char **argv);

#endif /* FINSCOPE_CHECK_H */
