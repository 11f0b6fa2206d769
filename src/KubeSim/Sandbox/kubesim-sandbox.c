// kubesim-sandbox: a pod sandbox as a container runtime makes one, a shim and its pause process.
//
//   kubesim-sandbox NETNS CGROUP_DIR...
//
// The shim (this process) stays where it was started. Its one child, the pause process, is born in the cgroup v2
// directory among CGROUP_DIRs (clone3 with CLONE_INTO_CGROUP), moves itself into each cgroup v1 directory (writes 0
// to its tasks file), joins the network namespace NETNS (a path such as /run/netns/NAME) and sleeps. Directories
// are made as needed. Once the pause process is placed, the shim prints its pid on stdout; if it cannot be, the
// shim prints why on stderr and exits with 1. SIGTERM to the shim kills the pause process, and the shim exits once
// it is gone, so its cgroup directories can then be removed. If the shim dies, the pause process is killed.
//
// Why not start the process and write its pid to each cgroup.procs: moving a running process that way takes the
// kernel's threadgroup lock for writing, which first waits for an RCU grace period (8-25 ms on 2 busy cores). A
// process born in its cgroup, or a single thread moving itself in cgroup v1, takes neither.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MaxDirectories = 16, Attempts = 5 };

static volatile pid_t pause_pid;

static void on_term(int signal)
{
    (void)signal;
    if (pause_pid > 0) {
        kill(pause_pid, SIGKILL);
    }
}

// mkdir -p. Fails with ENOENT when another sandbox's removal takes a shared parent away between two steps.
static int make_directories(const char *path)
{
    char partial[PATH_MAX];
    if (strlen(path) >= sizeof partial) {
        errno = ENAMETOOLONG;
        return -1;
    }

    strcpy(partial, path);
    for (char *slash = strchr(partial + 1, '/'); ; slash = strchr(slash + 1, '/')) {
        if (slash != NULL) {
            *slash = '\0';
        }

        if (mkdir(partial, 0755) != 0 && errno != EEXIST) {
            return -1;
        }

        if (slash == NULL) {
            return 0;
        }

        *slash = '/';
    }
}

// Makes the directory and opens what joining it needs: the directory itself on cgroup v2, its tasks file on v1.
static int open_cgroup(const char *directory, int *is_v2)
{
    for (int attempt = 1; ; attempt++) {
        struct statfs fs;
        int fd = -1;
        if (make_directories(directory) == 0 && statfs(directory, &fs) == 0) {
            *is_v2 = fs.f_type == CGROUP2_SUPER_MAGIC;
            if (*is_v2) {
                fd = open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
            } else {
                char tasks[PATH_MAX];
                snprintf(tasks, sizeof tasks, "%s/tasks", directory);
                fd = open(tasks, O_WRONLY | O_CLOEXEC);
            }
        }

        if (fd >= 0 || errno != ENOENT || attempt == Attempts) {
            return fd;
        }
    }
}

// The pause process: places itself, reports on the pipe (one zero byte, or why it failed), then sleeps.
static void run_pause(pid_t shim, int report, const int *v1_tasks, char *const *v1_names, int v1_count, const char *netns)
{
    char failure[512] = { 0 };
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGTERM, SIG_DFL);
    if (getppid() != shim) {
        _exit(1);
    }

    for (int i = 0; i < v1_count && failure[0] == '\0'; i++) {
        if (write(v1_tasks[i], "0", 1) != 1) {
            snprintf(failure, sizeof failure, "joining cgroup directory %s failed: %s", v1_names[i], strerror(errno));
        }
    }

    int netns_fd = failure[0] == '\0' ? open(netns, O_RDONLY | O_CLOEXEC) : -1;
    if (failure[0] == '\0' && (netns_fd < 0 || setns(netns_fd, CLONE_NEWNET) != 0)) {
        snprintf(failure, sizeof failure, "joining network namespace %s failed: %s", netns, strerror(errno));
    }

    if (failure[0] != '\0') {
        (void)!write(report, failure, strlen(failure));
        _exit(1);
    }

    // The pause process holds nothing of its caller's: its stdout is read to the end, and no descriptor of the
    // shim's is needed once placed.
    int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    (void)!write(report, "", 1);
    close_range(3, ~0U, 0);
    for (;;) {
        pause();
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc - 2 > MaxDirectories) {
        fprintf(stderr, "usage: kubesim-sandbox NETNS CGROUP_DIR... (1 to %d directories)\n", MaxDirectories);
        return 2;
    }

    // A session of its own, as a container runtime's shim has: Ctrl-C at KubeSim's terminal reaches KubeSim, which
    // then ends each sandbox in order (SIGTERM), instead of killing the shims behind its back.
    setsid();
    int v1_tasks[MaxDirectories];
    char *v1_names[MaxDirectories];
    int v1_count = 0;
    int v2_directory = -1;
    for (int i = 2; i < argc; i++) {
        int is_v2 = 0;
        int fd = open_cgroup(argv[i], &is_v2);
        if (fd < 0) {
            fprintf(stderr, "cgroup directory %s: %s\n", argv[i], strerror(errno));
            return 1;
        }

        if (is_v2 && v2_directory >= 0) {
            fprintf(stderr, "cgroup directory %s: a second cgroup v2 directory\n", argv[i]);
            return 1;
        }

        if (is_v2) {
            v2_directory = fd;
        } else {
            v1_names[v1_count] = argv[i];
            v1_tasks[v1_count++] = fd;
        }
    }

    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        perror("pipe2");
        return 1;
    }

    struct sigaction term = { .sa_handler = on_term };
    sigaction(SIGTERM, &term, NULL);
    pid_t shim = getpid();
    struct clone_args clone = {
        .flags = v2_directory >= 0 ? CLONE_INTO_CGROUP : 0,
        .exit_signal = SIGCHLD,
        .cgroup = (uint64_t)(v2_directory >= 0 ? v2_directory : 0),
    };
    pid_t child = (pid_t)syscall(SYS_clone3, &clone, sizeof clone);
    if (child < 0) {
        fprintf(stderr, "starting the pause process (clone3) failed: %s\n", strerror(errno));
        return 1;
    }

    if (child == 0) {
        close(report[0]);
        run_pause(shim, report[1], v1_tasks, v1_names, v1_count, argv[1]);
    }

    pause_pid = child;
    close(report[1]);
    char answer[512];
    ssize_t length = read(report[0], answer, sizeof answer - 1);
    if (length != 1 || answer[0] != '\0') {
        answer[length > 0 ? length : 0] = '\0';
        fprintf(stderr, "%s\n", length > 0 ? answer : "the pause process ended before it was placed");
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        return 1;
    }

    printf("%d\n", child);
    fflush(stdout);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
    }

    return 0;
}
