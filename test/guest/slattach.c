// A minimal slattach for the test guest (busybox has none): puts a serial line into the kernel's
// SLIP line discipline (legacy raw-IP SLIP, RFC 1055), prints the interface name it created
// (sl0, ...) and keeps the line open, which keeps the interface. Built static by build-guest.sh.
#include <fcntl.h>
#include <linux/if.h>
#include <linux/sockios.h>
#include <linux/tty.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: slattach /dev/ttySN\n");
    return 2;
  }
  int fd = open(argv[1], O_RDWR | O_NOCTTY);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    cfsetspeed(&t, B115200);
    t.c_cflag |= CLOCAL | CREAD;
    tcsetattr(fd, TCSANOW, &t);
  }
  int disc = N_SLIP;
  if (ioctl(fd, TIOCSETD, &disc) < 0) {
    perror("TIOCSETD N_SLIP");
    return 1;
  }
  char name[IFNAMSIZ] = {0};
  if (ioctl(fd, SIOCGIFNAME, name) == 0) printf("%s\n", name);
  fflush(stdout);
  for (;;) pause();
}
