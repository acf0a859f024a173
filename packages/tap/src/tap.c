// @netweave/tap: Linux TAP devices for the netweave fabric.
//
// open() creates a non-persistent TAP (IFF_TAP | IFF_NO_PI), optionally inside another
// network namespace. enterNetns()/leaveNetns(), createNetns(), linkUp() and mkfifo() spare the
// engine a helper process (nsenter, unshare, ip, mkfifo: several milliseconds each) for the
// namespace work of a lab's start. TapDevice owns the fd: a uv_poll readiness callback reads every queued
// frame (up to a batch cap) and hands the batch to JavaScript in one call; write() writes a
// batch of frames in one call into native code. Batching both ways is what makes a Node relay
// reach the kernel's per-frame TAP limit (measured on 2 cores: 2.4 Gbit/s, 335k frames/s
// between two TAPs).

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <node_api.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include "gso.h"

// Most frames one readiness callback hands to JavaScript. Large enough to amortise the call
// into JavaScript (measured: one frame per callback halves capacity), small enough that one
// busy TAP cannot starve the rest of the event loop; the poll is level-triggered, so frames
// left in the queue fire the callback again on the next loop iteration.
#define MAX_BATCH 256

// Largest frame a TAP can hand over: ETH_MAX_MTU (65535) + Ethernet header (14) + one VLAN
// tag (4), rounded up. A smaller buffer would silently truncate jumbo frames.
#define SCRATCH_SIZE (65536 + 64)

// A frame from a TAP with offloads that is longer than this may be a super-frame (a GSO frame
// the fabric carries whole, with its virtio-net header). A GSO frame no longer than this is
// segmented as it is read, so that every frame of at most this length in the fabric is a wire
// frame with its checksums: the fabric looks a frame's header up only above this length.
// 1514 bytes of an Ethernet frame plus a VLAN tag, as the fabric's default Ethernet MTU.
#define SUPER_FRAME_THRESHOLD 1518

// The offloads a TAP with a virtio-net header asks for (TUNSETOFFLOAD; names from
// linux/if_tun.h, USO from Linux 6.2, which older headers lack).
#define OFFLOAD_CSUM 0x01
#define OFFLOAD_TSO4 0x02
#define OFFLOAD_TSO6 0x04
#define OFFLOAD_TSO_ECN 0x08
#define OFFLOAD_USO4 0x20
#define OFFLOAD_USO6 0x40

#define CHECK(env, call)                                                   \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      throw_last_napi_error((env), #call);                                 \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

enum poll_state { POLL_NONE, POLL_OPEN, POLL_CLOSING };

typedef struct {
  napi_env env;
  int fd;
  int closed;
  int started;
  int reading;
  int in_callback;
  int js_released;
  int wrapper_gone;
  int cleanup_hook;
  enum poll_state poll_state;
  uv_poll_t poll;
  napi_ref self_ref;
  napi_ref on_frames;
  napi_ref on_error;
  napi_async_context async_ctx;
  unsigned char *scratch;
  // Frames come and go with a virtio-net header (the TAP was opened with offloads).
  int vnet;
  // Where the read path segments a small GSO frame; allocated on first use.
  unsigned char *segments;
  // errno of the write that ended the last write() call early, 0 when it wrote every frame.
  int write_errno;
} Device;

// ---------------------------------------------------------------------------------------------
// Errors

static void throw_last_napi_error(napi_env env, const char *what) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_get_last_error_info(env, &info);
  char msg[256];
  snprintf(msg, sizeof msg, "@netweave/tap: %s failed: %s", what,
           info != NULL && info->error_message != NULL ? info->error_message : "unknown error");
  napi_throw_error(env, NULL, msg);
}

static const char *errno_name(int err) {
  const char *name = strerrorname_np(err);
  return name != NULL ? name : "EUNKNOWN";
}

// Builds an Error like Node's system errors: message with errno text, code "EPERM",
// errno (negative, as in Node), syscall.
static napi_value make_errno_error(napi_env env, int err, const char *syscall, const char *message) {
  char full[PATH_MAX + 256];
  snprintf(full, sizeof full, "%s: %s (%s)", message, strerror(err), errno_name(err));
  napi_value code, msg, error, errno_value, syscall_value;
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, full, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  return error;
}

static void throw_errno(napi_env env, int err, const char *syscall, const char *message) {
  napi_throw(env, make_errno_error(env, err, syscall, message));
}

// throw_errno with a printf-style message.
__attribute__((format(printf, 4, 5))) static void throw_errnof(napi_env env, int err,
                                                               const char *syscall,
                                                               const char *format, ...) {
  char message[PATH_MAX + 128];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  throw_errno(env, err, syscall, message);
}

// A JavaScript number for `value`, or NULL after throwing.
static napi_value int32_value(napi_env env, int32_t value) {
  napi_value result;
  CHECK(env, napi_create_int32(env, value, &result));
  return result;
}

// ---------------------------------------------------------------------------------------------
// open(name, netnsPath?)

// Reads a string argument into buf (capacity cap, including the NUL). Returns its length, or
// -1 after throwing a TypeError/RangeError naming `what`.
static long get_string(napi_env env, napi_value value, char *buf, size_t cap, const char *what) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string", what);
    napi_throw_type_error(env, NULL, msg);
    return -1;
  }
  size_t len = 0;
  napi_get_value_string_utf8(env, value, NULL, 0, &len);
  if (len >= cap) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s is too long (%zu bytes, at most %zu)", what, len, cap - 1);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return -1;
  }
  napi_get_value_string_utf8(env, value, buf, cap, &len);
  if (strlen(buf) != len) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must not contain NUL characters", what);
    napi_throw_type_error(env, NULL, msg);
    return -1;
  }
  return (long)len;
}

// Reads optional string argument `index` (absent, undefined or null: none) into buf. Returns
// 1 when given, 0 when not, -1 after throwing.
static int get_optional_string(napi_env env, size_t argc, napi_value *argv, size_t index,
                               char *buf, size_t cap, const char *what) {
  if (argc <= index) return 0;
  napi_valuetype type;
  if (napi_typeof(env, argv[index], &type) != napi_ok) {
    throw_last_napi_error(env, "napi_typeof");
    return -1;
  }
  if (type == napi_undefined || type == napi_null) return 0;
  return get_string(env, argv[index], buf, cap, what) < 0 ? -1 : 1;
}

// Reads a call's arguments (a required string, then an optional one unless second is NULL)
// into first and second. Returns 1 when the second was given, 0 when not, -1 after throwing.
static int get_string_args(napi_env env, napi_callback_info info, char *first, size_t first_cap,
                           const char *first_what, char *second, size_t second_cap,
                           const char *second_what) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_last_napi_error(env, "napi_get_cb_info");
    return -1;
  }
  if (argc < 1) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s is required", first_what);
    napi_throw_type_error(env, NULL, msg);
    return -1;
  }
  if (get_string(env, argv[0], first, first_cap, first_what) < 0) return -1;
  if (second == NULL) return 0;
  return get_optional_string(env, argc, argv, 1, second, second_cap, second_what);
}

// Tells the kernel which offloads this reader takes: checksum, TSO (with ECN) and, where the
// kernel knows them (Linux 6.2 and later), USO; an older kernel refuses USO with EINVAL.
static int set_offloads(int fd) {
  unsigned base = OFFLOAD_CSUM | OFFLOAD_TSO4 | OFFLOAD_TSO6 | OFFLOAD_TSO_ECN;
  if (ioctl(fd, TUNSETOFFLOAD, base | OFFLOAD_USO4 | OFFLOAD_USO6) == 0) return 0;
  return errno == EINVAL ? ioctl(fd, TUNSETOFFLOAD, base) : -1;
}

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL,
                          "open(name, netnsPath?, tun?, persist?, offloads?) needs an interface name");
    return NULL;
  }

  char name[IFNAMSIZ];
  if (get_string(env, argv[0], name, sizeof name, "interface name") < 0) return NULL;

  char netns[PATH_MAX];
  int has_netns = get_optional_string(env, argc, argv, 1, netns, sizeof netns, "netnsPath");
  if (has_netns < 0) return NULL;

  // A third argument `true` asks for a TUN (raw IP packets) instead of a TAP; a fourth `true`
  // makes the device persistent (TUNSETPERSIST, as `ip tuntap add` does): it outlives the fd,
  // which is closed at once, so that another process can open it by name.
  // A fifth `true` opens a TAP with a virtio-net header before every frame and offloads on
  // (checksum, TSO, USO where the kernel has it): the node's stack hands over 64 KB
  // super-frames instead of wire frames. The result's `offloads` says whether it took.
  bool flags[3] = {false, false, false};
  for (size_t i = 0; i < 3; i++) {
    if (argc < 3 + i) break;
    napi_valuetype type;
    CHECK(env, napi_typeof(env, argv[2 + i], &type));
    if (type == napi_boolean) CHECK(env, napi_get_value_bool(env, argv[2 + i], &flags[i]));
  }
  bool tun = flags[0], persist = flags[1], offloads = flags[2] && !flags[0];

  int original_ns = -1, target_ns = -1, entered = 0, fd = -1;
  int err = 0;
  const char *syscall = NULL;
  char message[PATH_MAX + 128];
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);

  if (has_netns) {
    original_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original_ns < 0) {
      err = errno;
      syscall = "open";
      snprintf(message, sizeof message,
               "cannot create TAP %s: cannot open /proc/thread-self/ns/net", name);
      goto out;
    }
    target_ns = open(netns, O_RDONLY | O_CLOEXEC);
    if (target_ns < 0) {
      err = errno;
      syscall = "open";
      snprintf(message, sizeof message, "cannot create TAP %s: cannot open network namespace %s",
               name, netns);
      goto out;
    }
    if (setns(target_ns, CLONE_NEWNET) < 0) {
      err = errno;
      syscall = "setns";
      snprintf(message, sizeof message,
               "cannot create TAP %s: cannot enter network namespace %s", name, netns);
      goto out;
    }
    entered = 1;
  }

  // The TAP is created in the namespace the /dev/net/tun file is opened in, so open it only
  // after entering the target namespace.
  fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    err = errno;
    syscall = "open";
    snprintf(message, sizeof message, "cannot create TAP %s: cannot open /dev/net/tun", name);
    goto out;
  }
  ifr.ifr_flags = (tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, strlen(name));
  // TUNSETIFF creates the device; TUNSETPERSIST (asked for) keeps it after the fd closes.
  const char *step = ioctl(fd, TUNSETIFF, &ifr) < 0                    ? "TUNSETIFF"
                     : persist && ioctl(fd, TUNSETPERSIST, 1) < 0 ? "TUNSETPERSIST"
                     : offloads && set_offloads(fd) < 0           ? "TUNSETOFFLOAD"
                                                                  : NULL;
  if (step != NULL) {
    err = errno;
    syscall = "ioctl";
    snprintf(message, sizeof message, "cannot create TAP %s%s%s: %s", name,
             has_netns ? " in " : "", has_netns ? netns : "", step);
  }
  if (step != NULL || persist) {
    close(fd);
    fd = -1;
  }

out:
  if (entered && setns(original_ns, CLONE_NEWNET) < 0) {
    // Carrying on would run every later socket of this thread in the lab's namespace.
    napi_fatal_error("@netweave/tap", NAPI_AUTO_LENGTH,
                     "cannot return to the original network namespace after creating a TAP",
                     NAPI_AUTO_LENGTH);
  }
  if (target_ns >= 0) close(target_ns);
  if (original_ns >= 0) close(original_ns);
  if (err != 0) {
    throw_errno(env, err, syscall, message);
    return NULL;
  }

  napi_value result, fd_value, name_value, offloads_value;
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  if (napi_create_object(env, &result) != napi_ok ||
      napi_create_int32(env, fd, &fd_value) != napi_ok ||
      napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &name_value) != napi_ok ||
      napi_get_boolean(env, offloads, &offloads_value) != napi_ok ||
      napi_set_named_property(env, result, "fd", fd_value) != napi_ok ||
      napi_set_named_property(env, result, "name", name_value) != napi_ok ||
      napi_set_named_property(env, result, "offloads", offloads_value) != napi_ok) {
    close(fd);
    throw_last_napi_error(env, "open: building the result");
    return NULL;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// TapDevice

static void device_free_if_done(Device *dev) {
  if (dev->wrapper_gone && dev->poll_state == POLL_NONE) {
    free(dev->scratch);
    free(dev->segments);
    free(dev);
  }
}

static void on_poll_closed(uv_handle_t *handle) {
  Device *dev = (Device *)handle->data;
  dev->poll_state = POLL_NONE;
  device_free_if_done(dev);
}

// Releases the poll handle and the fd. Never calls into JavaScript.
static void device_close_native(Device *dev) {
  if (dev->closed) return;
  dev->closed = 1;
  dev->reading = 0;
  if (dev->poll_state == POLL_OPEN) {
    uv_poll_stop(&dev->poll);
    dev->poll_state = POLL_CLOSING;
    uv_close((uv_handle_t *)&dev->poll, on_poll_closed);
  }
  if (dev->fd >= 0) {
    close(dev->fd);
    dev->fd = -1;
  }
}

// Drops the JavaScript references a started device holds (callbacks, async context, and the
// strong reference that keeps the wrapper alive while frames can arrive).
static void device_release_js(Device *dev) {
  if (dev->js_released) return;
  dev->js_released = 1;
  napi_env env = dev->env;
  if (dev->on_frames != NULL) napi_delete_reference(env, dev->on_frames);
  if (dev->on_error != NULL) napi_delete_reference(env, dev->on_error);
  if (dev->async_ctx != NULL) napi_async_destroy(env, dev->async_ctx);
  if (dev->self_ref != NULL) napi_delete_reference(env, dev->self_ref);
  dev->on_frames = NULL;
  dev->on_error = NULL;
  dev->async_ctx = NULL;
  dev->self_ref = NULL;
}

static void on_env_cleanup(void *data) {
  Device *dev = (Device *)data;
  dev->cleanup_hook = 0;
  device_close_native(dev);
}

static void device_close(Device *dev) {
  if (dev->cleanup_hook) {
    napi_remove_env_cleanup_hook(dev->env, on_env_cleanup, dev);
    dev->cleanup_hook = 0;
  }
  device_close_native(dev);
  if (!dev->in_callback) device_release_js(dev);
}

static void device_finalize(napi_env env, void *data, void *hint) {
  Device *dev = (Device *)data;
  if (dev->cleanup_hook) {
    napi_remove_env_cleanup_hook(env, on_env_cleanup, dev);
    dev->cleanup_hook = 0;
  }
  device_close_native(dev);
  dev->wrapper_gone = 1;
  device_free_if_done(dev);
}

// Calls a JavaScript callback from the event loop; an exception becomes an uncaught exception,
// as it would from any other event-loop callback.
static void call_js(Device *dev, napi_ref ref, size_t argc, napi_value *argv) {
  napi_env env = dev->env;
  napi_value fn, global, result;
  if (ref == NULL || napi_get_reference_value(env, ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &global);
  dev->in_callback = 1;
  // The receiver must be an object: napi_make_callback throws with an undefined receiver.
  napi_status status = napi_make_callback(env, dev->async_ctx, global, fn, argc, argv, &result);
  dev->in_callback = 0;
  if (status == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
  if (dev->closed) device_release_js(dev);
}

static void report_error(Device *dev, int err, const char *syscall) {
  // Stop reading: a persistent error (the interface was deleted with its namespace, say)
  // would otherwise make a level-triggered poll spin.
  if (dev->poll_state == POLL_OPEN) uv_poll_stop(&dev->poll);
  dev->reading = 0;
  napi_value error = make_errno_error(dev->env, err, syscall, "TAP read failed");
  if (dev->on_error != NULL) {
    call_js(dev, dev->on_error, 1, &error);
  } else {
    napi_fatal_exception(dev->env, error);
  }
}

// The batch one readiness callback hands to JavaScript: frames, and for a TAP with offloads
// the virtio-net headers of its super-frames (an array made for the first one).
typedef struct {
  napi_env env;
  napi_value frames;
  napi_value headers;
  uint32_t count;
  int failed;
} Batch;

static int batch_push(Batch *b, const unsigned char *data, size_t len) {
  napi_value buffer;
  if (b->frames == NULL && napi_create_array(b->env, &b->frames) != napi_ok) return b->failed = 1;
  if (napi_create_buffer_copy(b->env, len, data, NULL, &buffer) != napi_ok ||
      napi_set_element(b->env, b->frames, b->count++, buffer) != napi_ok) {
    return b->failed = 1;
  }
  return 0;
}

static int batch_push_segment(void *ctx, const uint8_t *segment, size_t len) {
  return batch_push((Batch *)ctx, segment, len);
}

// Adds one frame read from a TAP with offloads (`n` bytes at `data`, header first). A frame
// with a partial checksum gets it completed; a GSO frame longer than SUPER_FRAME_THRESHOLD is
// kept whole with its header, a shorter one is segmented now. A frame whose header makes no
// sense is passed on as it is (the fabric counts it; its checksums may be wrong).
static void batch_push_vnet(Batch *b, Device *dev, unsigned char *data, size_t n) {
  if (n < VNET_HDR_LEN) return;
  VnetHeader h = vnet_header_parse(data);
  unsigned char *frame = data + VNET_HDR_LEN;
  size_t len = n - VNET_HDR_LEN;
  if (h.gso_type == VNET_GSO_NONE) {
    if (h.flags & VNET_F_NEEDS_CSUM) vnet_complete_checksum(frame, len, &h);
    batch_push(b, frame, len);
    return;
  }
  if (len > SUPER_FRAME_THRESHOLD) {
    uint32_t index = b->count;
    if (batch_push(b, frame, len) != 0) return;
    napi_value header;
    if ((b->headers == NULL && napi_create_array(b->env, &b->headers) != napi_ok) ||
        napi_create_buffer_copy(b->env, VNET_HDR_LEN, data, NULL, &header) != napi_ok ||
        napi_set_element(b->env, b->headers, index, header) != napi_ok) {
      b->failed = 1;
    }
    return;
  }
  if (dev->segments == NULL) dev->segments = malloc(SCRATCH_SIZE);
  if (dev->segments == NULL ||
      vnet_segment(frame, len, &h, dev->segments, SCRATCH_SIZE, batch_push_segment, b) < 0) {
    if (h.flags & VNET_F_NEEDS_CSUM) vnet_complete_checksum(frame, len, &h);
    batch_push(b, frame, len);
  }
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  Device *dev = (Device *)handle->data;
  if (dev->closed || !dev->reading) return;
  napi_env env = dev->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;

  if (status < 0) {
    report_error(dev, -status, "poll");
    napi_close_handle_scope(env, scope);
    return;
  }

  Batch batch = {.env = env};
  int err = 0;
  for (uint32_t reads = 0; reads < MAX_BATCH && !batch.failed; reads++) {
    ssize_t n = read(dev->fd, dev->scratch, SCRATCH_SIZE);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    if (n == 0) break;
    if (dev->vnet) {
      batch_push_vnet(&batch, dev, dev->scratch, (size_t)n);
    } else {
      batch_push(&batch, dev->scratch, (size_t)n);
    }
  }
  if (batch.count > 0) {
    napi_value argv[2] = {batch.frames, batch.headers};
    call_js(dev, dev->on_frames, batch.headers != NULL ? 2 : 1, argv);
  }
  if (err != 0 && !dev->closed) report_error(dev, err, "read");
  napi_close_handle_scope(env, scope);
}

// The Device behind `this`, with the call's arguments and (when asked) the property's data.
static Device *unwrap_this_data(napi_env env, napi_callback_info info, size_t *argc,
                                napi_value *argv, napi_value *self, void **data) {
  napi_value this_value;
  Device *dev = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &this_value, data) != napi_ok ||
      napi_unwrap(env, this_value, (void **)&dev) != napi_ok || dev == NULL) {
    napi_throw_type_error(env, NULL, "not a TapDevice");
    return NULL;
  }
  if (self != NULL) *self = this_value;
  return dev;
}

static Device *unwrap_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                           napi_value *self) {
  return unwrap_this_data(env, info, argc, argv, self, NULL);
}

static napi_value New(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], this_value, target;
  CHECK(env, napi_get_new_target(env, info, &target));
  if (target == NULL) {
    napi_throw_type_error(env, NULL, "TapDevice must be called with new");
    return NULL;
  }
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, &this_value, NULL));
  int32_t fd = -1;
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_number || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "TapDevice(fd) needs a file descriptor from open()");
    return NULL;
  }
  Device *dev = calloc(1, sizeof *dev);
  unsigned char *scratch = malloc(SCRATCH_SIZE);
  if (dev == NULL || scratch == NULL) {
    free(dev);
    free(scratch);
    napi_throw_error(env, NULL, "TapDevice: out of memory");
    return NULL;
  }
  dev->env = env;
  dev->fd = fd;
  dev->scratch = scratch;
  // A second argument `true`: the fd is a TAP opened with offloads (a virtio-net header).
  bool vnet = false;
  napi_valuetype vnet_type = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &vnet_type);
  if (vnet_type == napi_boolean) napi_get_value_bool(env, argv[1], &vnet);
  dev->vnet = vnet;
  dev->poll.data = dev;
  if (napi_wrap(env, this_value, dev, device_finalize, NULL, NULL) != napi_ok) {
    free(scratch);
    free(dev);
    throw_last_napi_error(env, "TapDevice: napi_wrap");
    return NULL;
  }
  if (napi_add_env_cleanup_hook(env, on_env_cleanup, dev) == napi_ok) dev->cleanup_hook = 1;
  return this_value;
}

static int is_function(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && type == napi_function;
}

static napi_value Start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  Device *dev = unwrap_this(env, info, &argc, argv, &self);
  if (dev == NULL) return NULL;
  if (dev->closed) {
    napi_throw_error(env, "ERR_TAP_CLOSED", "TapDevice.start: the device is closed");
    return NULL;
  }
  if (dev->started) {
    napi_throw_error(env, "ERR_TAP_STARTED", "TapDevice.start: already started");
    return NULL;
  }
  if (argc < 1 || !is_function(env, argv[0])) {
    napi_throw_type_error(env, NULL, "TapDevice.start(onFrames, onError?) needs a function");
    return NULL;
  }
  int with_error = 0;
  if (argc >= 2) {
    napi_valuetype type;
    napi_typeof(env, argv[1], &type);
    if (type != napi_undefined) {
      if (type != napi_function) {
        napi_throw_type_error(env, NULL, "TapDevice.start: onError must be a function");
        return NULL;
      }
      with_error = 1;
    }
  }

  uv_loop_t *loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  int rc = uv_poll_init(loop, &dev->poll, dev->fd);
  if (rc < 0) {
    throw_errno(env, -rc, "uv_poll_init", "TapDevice.start: cannot poll the TAP fd");
    return NULL;
  }
  dev->poll.data = dev;
  dev->poll_state = POLL_OPEN;

  napi_value resource_name;
  CHECK(env, napi_create_string_utf8(env, "netweave:TapDevice", NAPI_AUTO_LENGTH, &resource_name));
  CHECK(env, napi_async_init(env, self, resource_name, &dev->async_ctx));
  CHECK(env, napi_create_reference(env, argv[0], 1, &dev->on_frames));
  if (with_error) CHECK(env, napi_create_reference(env, argv[1], 1, &dev->on_error));
  // While frames can arrive, the device must outlive its last JavaScript reference.
  CHECK(env, napi_create_reference(env, self, 1, &dev->self_ref));
  dev->started = 1;

  rc = uv_poll_start(&dev->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    throw_errno(env, -rc, "uv_poll_start", "TapDevice.start: cannot poll the TAP fd");
    return NULL;
  }
  dev->reading = 1;
  return NULL;
}

static napi_value Pause(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Device *dev = unwrap_this(env, info, &argc, NULL, NULL);
  if (dev == NULL) return NULL;
  if (dev->reading && dev->poll_state == POLL_OPEN) uv_poll_stop(&dev->poll);
  dev->reading = 0;
  return NULL;
}

static napi_value Resume(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Device *dev = unwrap_this(env, info, &argc, NULL, NULL);
  if (dev == NULL) return NULL;
  if (dev->closed || !dev->started || dev->reading || dev->poll_state != POLL_OPEN) return NULL;
  int rc = uv_poll_start(&dev->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    throw_errno(env, -rc, "uv_poll_start", "TapDevice.resume: cannot poll the TAP fd");
    return NULL;
  }
  dev->reading = 1;
  return NULL;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Device *dev = unwrap_this(env, info, &argc, NULL, NULL);
  if (dev == NULL) return NULL;
  device_close(dev);
  return NULL;
}

// The bytes and length of a Buffer or Uint8Array; 0 (with a TypeError thrown) for anything else.
static int frame_bytes(napi_env env, napi_value value, void **data, size_t *size) {
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  if (is_buffer) return napi_get_buffer_info(env, value, data, size) == napi_ok;
  bool is_typedarray = false;
  napi_typedarray_type type;
  napi_is_typedarray(env, value, &is_typedarray);
  if (is_typedarray &&
      napi_get_typedarray_info(env, value, &type, size, data, NULL, NULL) == napi_ok &&
      type == napi_uint8_array) {
    return 1;
  }
  napi_throw_type_error(env, NULL, "@netweave/tap: every frame must be a Buffer");
  return 0;
}

// write(frames, headers?): one write() per frame (a TAP takes exactly one frame per write).
// On a TAP with offloads every frame goes with a virtio-net header: headers[i] when the
// caller gives one (a super-frame's), else an empty one. Stops at the first frame the kernel
// refuses and keeps its errno for lastWriteError: EAGAIN when the TAP's queue is full, EIO while
// the interface is down, EINVAL for a frame it cannot take.
static napi_value Write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Device *dev = unwrap_this(env, info, &argc, argv, NULL);
  if (dev == NULL) return NULL;
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "TapDevice.write(frames) needs an array of Buffers");
    return NULL;
  }
  if (dev->closed) {
    napi_throw_error(env, "ERR_TAP_CLOSED", "TapDevice.write: the device is closed");
    return NULL;
  }
  napi_value headers = NULL;
  if (argc >= 2 && dev->vnet) {
    bool headers_array = false;
    if (napi_is_array(env, argv[1], &headers_array) == napi_ok && headers_array) {
      headers = argv[1];
    }
  }
  uint32_t length = 0;
  CHECK(env, napi_get_array_length(env, argv[0], &length));
  uint32_t written = 0;
  dev->write_errno = 0;
  unsigned char empty_header[VNET_HDR_LEN] = {0};
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    CHECK(env, napi_get_element(env, argv[0], i, &element));
    void *data = NULL;
    size_t size = 0;
    if (!frame_bytes(env, element, &data, &size)) return NULL;
    struct iovec iov[2];
    int parts = 0;
    if (dev->vnet) {
      void *header = empty_header;
      size_t header_size = VNET_HDR_LEN;
      napi_value given;
      napi_valuetype type = napi_undefined;
      if (headers != NULL && napi_get_element(env, headers, i, &given) == napi_ok) {
        napi_typeof(env, given, &type);
      }
      if (type == napi_object && !frame_bytes(env, given, &header, &header_size)) return NULL;
      if (header_size != VNET_HDR_LEN) {
        napi_throw_range_error(env, NULL, "TapDevice.write: a header is 10 bytes");
        return NULL;
      }
      iov[parts++] = (struct iovec){.iov_base = header, .iov_len = VNET_HDR_LEN};
    }
    iov[parts++] = (struct iovec){.iov_base = data, .iov_len = size};
    ssize_t n;
    do {
      n = parts == 1 ? write(dev->fd, data, size) : writev(dev->fd, iov, parts);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      dev->write_errno = errno;
      break;
    }
    written++;
  }
  napi_value result;
  CHECK(env, napi_create_uint32(env, written, &result));
  return result;
}

static napi_value GetFd(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Device *dev = unwrap_this(env, info, &argc, NULL, NULL);
  if (dev == NULL) return NULL;
  napi_value result;
  CHECK(env, napi_create_int32(env, dev->fd, &result));
  return result;
}


// Getter of a TapDevice flag: the property's data is the offset of an int field of Device
// (closed, reading, vnet), read as a boolean.
static napi_value GetFlag(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t argc = 0;
  Device *dev = unwrap_this_data(env, info, &argc, NULL, NULL, &data);
  if (dev == NULL) return NULL;
  int flag;
  memcpy(&flag, (const char *)dev + (size_t)data, sizeof flag);
  napi_value result;
  CHECK(env, napi_get_boolean(env, flag != 0, &result));
  return result;
}

static napi_value GetLastWriteError(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Device *dev = unwrap_this(env, info, &argc, NULL, NULL);
  if (dev == NULL) return NULL;
  napi_value result;
  if (dev->write_errno == 0) {
    CHECK(env, napi_get_undefined(env, &result));
  } else {
    CHECK(env, napi_create_string_utf8(env, errno_name(dev->write_errno), NAPI_AUTO_LENGTH,
                                       &result));
  }
  return result;
}



// ---------------------------------------------------------------------------------------------
// Network namespaces of the calling thread

// Enters the network namespace at `path` with the calling thread; on success *original holds
// an fd of the thread's own namespace (for leave_netns). Returns 0, or an errno with
// *syscall set.
static int enter_netns(const char *path, int *original, const char **syscall) {
  *original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (*original < 0) {
    *syscall = "open";
    return errno;
  }
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0 || setns(target, CLONE_NEWNET) < 0) {
    int err = errno;
    *syscall = target < 0 ? "open" : "setns";
    if (target >= 0) close(target);
    close(*original);
    *original = -1;
    return err;
  }
  close(target);
  return 0;
}

// Returns the calling thread to its namespace. Carrying on in the lab's namespace would put
// every later socket and child of this thread there, so failing is fatal.
static void leave_netns(int original) {
  if (setns(original, CLONE_NEWNET) < 0) {
    napi_fatal_error("@netweave/tap", NAPI_AUTO_LENGTH,
                     "cannot return to the original network namespace", NAPI_AUTO_LENGTH);
  }
  close(original);
}

// A socket for interface ioctls, with `ifr` naming interface `name`. Returns the socket, or
// -1 with errno and *syscall set.
static int ifreq_socket(const char *name, struct ifreq *ifr, const char **syscall) {
  memset(ifr, 0, sizeof *ifr);
  memcpy(ifr->ifr_name, name, strnlen(name, IFNAMSIZ - 1));
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) *syscall = "socket";
  return sock;
}

// Sets IFF_UP on interface `name` of the calling thread's namespace. Returns 0 or an errno.
static int set_up(const char *name, const char **syscall) {
  struct ifreq ifr;
  int sock = ifreq_socket(name, &ifr, syscall);
  if (sock < 0) return errno;
  int err = 0;
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
    err = errno;
    *syscall = "ioctl";
  } else if ((ifr.ifr_flags & IFF_UP) == 0) {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
      err = errno;
      *syscall = "ioctl";
    }
  }
  close(sock);
  return err;
}

// enterNetns(path): the calling (main) thread enters the network namespace at `path`; returns
// a handle for leaveNetns. Children spawned in between start in that namespace, which is what
// `nsenter --net=path` would do with one process more.
static napi_value EnterNetns(napi_env env, napi_callback_info info) {
  char path[PATH_MAX];
  if (get_string_args(env, info, path, sizeof path, "netnsPath", NULL, 0, NULL) < 0) return NULL;
  int original = -1;
  const char *syscall = NULL;
  int err = enter_netns(path, &original, &syscall);
  if (err != 0) {
    throw_errnof(env, err, syscall, "cannot enter network namespace %s", path);
    return NULL;
  }
  return int32_value(env, original);
}

// leaveNetns(handle): back to the namespace enterNetns left.
static napi_value LeaveNetns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t original = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &original) != napi_ok || original < 0) {
    napi_throw_type_error(env, NULL, "leaveNetns(handle) needs the handle enterNetns returned");
    return NULL;
  }
  leave_netns(original);
  return NULL;
}

// Makes `dir` a mount point with shared propagation, as `ip netns add` does with /run/netns:
// a namespace unmounted in one mount namespace is then unmounted in all of them and freed.
static int share_dir(const char *dir, const char **syscall) {
  if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0) return 0;
  // EINVAL: not a mount point yet; make it one (a bind mount on itself) and try again.
  if (errno == EINVAL && mount(dir, dir, "none", MS_BIND | MS_REC, NULL) == 0 &&
      mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0) {
    return 0;
  }
  *syscall = "mount";
  return errno;
}

// createNetns(path, sharedDir?): a new network namespace with loopback up, pinned by a bind
// mount on the existing file `path` (what `unshare --net=path true` and `ip link set lo up`
// do); with sharedDir (the folder of `path`, /run/netns) that folder is first made a shared
// mount as `ip netns add` makes it. The calling thread stays in its own namespace.
static napi_value CreateNetns(napi_env env, napi_callback_info info) {
  char path[PATH_MAX];
  char shared[PATH_MAX];
  int has_shared = get_string_args(env, info, path, sizeof path, "netnsPath", shared,
                                   sizeof shared, "sharedDir");
  if (has_shared < 0) return NULL;
  const char *syscall = NULL;
  int err = has_shared ? share_dir(shared, &syscall) : 0;
  int original = -1;
  if (err == 0) {
    original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    syscall = "open";
    err = original < 0 ? errno : 0;
  }
  if (err == 0) {
    if (unshare(CLONE_NEWNET) < 0) {
      err = errno;
      syscall = "unshare";
    } else {
      err = set_up("lo", &syscall);
      if (err == 0 && mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) < 0) {
        err = errno;
        syscall = "mount";
      }
      leave_netns(original);
      original = -1;
    }
  }
  if (original >= 0) close(original);
  if (err != 0) throw_errnof(env, err, syscall, "cannot create network namespace %s", path);
  return NULL;
}

// What a call on one interface does (inside the namespace it names): returns 0 with *result
// set, or an errno with *syscall set.
typedef int (*iface_op)(const char *name, unsigned *result, const char **syscall);

// A call (name, netnsPath?) running `op` on interface `name`, inside the namespace at netnsPath
// if given. Returns 0 with *result set, or -1 after throwing `failure` (a format naming the
// interface) with the namespace appended.
__attribute__((format(printf, 4, 0))) static int iface_call(napi_env env,
                                                             napi_callback_info info,
                                                             iface_op op, const char *failure,
                                                             unsigned *result) {
  char name[IFNAMSIZ];
  char path[PATH_MAX];
  int has_netns =
      get_string_args(env, info, name, sizeof name, "interface name", path, sizeof path,
                      "netnsPath");
  if (has_netns < 0) return -1;
  int original = -1;
  const char *syscall = NULL;
  int err = has_netns ? enter_netns(path, &original, &syscall) : 0;
  if (err == 0) {
    err = op(name, result, &syscall);
    if (has_netns) leave_netns(original);
  }
  if (err == 0) return 0;
  char what[IFNAMSIZ + 64];
  snprintf(what, sizeof what, failure, name);
  throw_errnof(env, err, syscall, "%s%s%s", what, has_netns ? " in " : "", has_netns ? path : "");
  return -1;
}

static int op_set_up(const char *name, unsigned *result, const char **syscall) {
  *result = 0;
  return set_up(name, syscall);
}

// linkUp(name, netnsPath?): sets interface `name` up, in the namespace at netnsPath if given.
static napi_value LinkUp(napi_env env, napi_callback_info info) {
  unsigned unused;
  iface_call(env, info, op_set_up, "cannot set %s up", &unused);
  return NULL;
}

// mkfifo(path, mode): a named pipe, as mkfifo(1) makes one.
static napi_value Mkfifo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[PATH_MAX];
  uint32_t mode = 0600;
  if (argc < 1 || get_string(env, argv[0], path, sizeof path, "path") < 0) return NULL;
  if (argc >= 2) CHECK(env, napi_get_value_uint32(env, argv[1], &mode));
  if (mkfifo(path, (mode_t)(mode & 07777)) < 0) {
    throw_errnof(env, errno, "mkfifo", "cannot create FIFO %s", path);
  }
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// timerfd: timers finer than Node's millisecond ones

// timerfd(): a non-blocking CLOCK_MONOTONIC timerfd, disarmed. A TapDevice started on it
// delivers each expiry as one 8-byte "frame" (the expiration count), from the event loop.
static napi_value Timerfd(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "timerfd_create", "cannot create a timer");
    return NULL;
  }
  return int32_value(env, fd);
}

// setTimerfd(fd, delayUs): arms the timer to expire once, delayUs microseconds from now (at
// least one nanosecond); a negative delayUs disarms it.
static napi_value SetTimerfd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  double delay_us = -1;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_double(env, argv[1], &delay_us) != napi_ok) {
    napi_throw_type_error(env, NULL, "setTimerfd(fd, delayUs) needs two numbers");
    return NULL;
  }
  struct itimerspec spec;
  memset(&spec, 0, sizeof spec);
  if (delay_us >= 0) {
    double ns = delay_us * 1000.0;
    if (ns < 1) ns = 1;
    if (ns > 1e18) ns = 1e18;
    long long whole = (long long)ns;
    spec.it_value.tv_sec = (time_t)(whole / 1000000000LL);
    spec.it_value.tv_nsec = (long)(whole % 1000000000LL);
  }
  if (timerfd_settime(fd, 0, &spec, NULL) < 0) {
    throw_errno(env, errno, "timerfd_settime", "cannot set the timer");
  }
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// rtnetlink: what `ip link`, `ip addr` and `ip route` do, without an ip process

static int op_index(const char *name, unsigned *result, const char **syscall) {
  struct ifreq ifr;
  int sock = ifreq_socket(name, &ifr, syscall);
  if (sock < 0) return errno;
  int err = 0;
  if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0) {
    err = errno;
    *syscall = "ioctl";
  } else {
    *result = (unsigned)ifr.ifr_ifindex;
  }
  close(sock);
  return err;
}

// ifIndex(name, netnsPath?): the index of interface `name`, in the namespace at netnsPath if
// given (netlink requests name an interface by index).
static napi_value IfIndex(napi_env env, napi_callback_info info) {
  unsigned index = 0;
  if (iface_call(env, info, op_index, "cannot find interface %s", &index) < 0) return NULL;
  napi_value result;
  CHECK(env, napi_create_uint32(env, index, &result));
  return result;
}

// Largest request rtnetlink() sends, and the receive buffer (an error echoes the request's
// header; NETLINK_CAP_ACK keeps its payload out).
#define NL_REQUEST_MAX 4096
#define NL_RECV_SIZE 8192

// Waits for the kernel's answer to request `seq` on `sock`. Returns 0, or the errno of the
// request (with the kernel's extended-ack text in `detail`), or the errno of recv with
// *syscall set.
static int nl_answer(int sock, uint32_t seq, char *detail, size_t detail_cap,
                     const char **syscall) {
  static __thread unsigned char buf[NL_RECV_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      *syscall = "recv";
      return errno;
    }
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
        *syscall = "recv";
        return EPROTO;
      }
      struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
      if (e->error == 0) return 0;
      // Extended ack (NETLINK_EXT_ACK): attributes after the capped error, one a message.
      if ((h->nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
        size_t off = NLMSG_LENGTH(sizeof(struct nlmsgerr));
        while (off + sizeof(struct nlattr) <= h->nlmsg_len) {
          struct nlattr *a = (struct nlattr *)((unsigned char *)h + off);
          if (a->nla_len < sizeof(struct nlattr) || off + a->nla_len > h->nlmsg_len) break;
          if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
            size_t text = a->nla_len - sizeof(struct nlattr);
            if (text >= detail_cap) text = detail_cap - 1;
            memcpy(detail, (unsigned char *)a + sizeof(struct nlattr), text);
            detail[text] = '\0';
            break;
          }
          off += NLA_ALIGN(a->nla_len);
        }
      }
      *syscall = "rtnetlink";
      return -e->error;
    }
  }
}

// rtnetlink(requests, netnsPath?): sends each request (a Buffer holding one complete netlink
// message: header and payload) on a NETLINK_ROUTE socket of the namespace at netnsPath (the
// calling thread's own if not given), in order, each with NLM_F_REQUEST | NLM_F_ACK and waiting
// for its answer. Stops at the first request the kernel refuses and throws a TapError with
// `request` (its index) and `detail` (the kernel's own words, when it gave some).
static napi_value Rtnetlink(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "rtnetlink(requests, netnsPath?) needs an array of Buffers");
    return NULL;
  }
  char path[PATH_MAX];
  int has_netns = get_optional_string(env, argc, argv, 1, path, sizeof path, "netnsPath");
  if (has_netns < 0) return NULL;
  uint32_t count = 0;
  CHECK(env, napi_get_array_length(env, argv[0], &count));

  int original = -1;
  const char *syscall = NULL;
  int err = has_netns ? enter_netns(path, &original, &syscall) : 0;
  int sock = -1;
  if (err == 0) {
    // The socket belongs to the namespace it is created in, whatever the thread does next.
    sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (sock < 0) {
      err = errno;
      syscall = "socket";
    }
    if (has_netns) leave_netns(original);
  }
  if (err != 0) {
    throw_errnof(env, err, syscall, "cannot open a netlink socket%s%s", has_netns ? " in " : "",
                 has_netns ? path : "");
    return NULL;
  }
  int one = 1;
  setsockopt(sock, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);

  static __thread unsigned char req[NL_REQUEST_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
  char detail[256] = "";
  uint32_t failed = 0;
  for (uint32_t i = 0; i < count && err == 0; i++) {
    napi_value item;
    bool is_buffer = false;
    void *data = NULL;
    size_t len = 0;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok ||
        napi_is_buffer(env, item, &is_buffer) != napi_ok || !is_buffer ||
        napi_get_buffer_info(env, item, &data, &len) != napi_ok ||
        len < sizeof(struct nlmsghdr) || len > sizeof req) {
      close(sock);
      napi_throw_type_error(env, NULL,
                            "rtnetlink: every request must be a Buffer holding one netlink message");
      return NULL;
    }
    memcpy(req, data, len);
    struct nlmsghdr *h = (struct nlmsghdr *)req;
    h->nlmsg_len = (uint32_t)len;
    h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    h->nlmsg_seq = i + 1;
    h->nlmsg_pid = 0;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent;
    do {
      sent = sendto(sock, req, len, 0, (struct sockaddr *)&kernel, sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      err = errno;
      syscall = "sendto";
    } else {
      err = nl_answer(sock, i + 1, detail, sizeof detail, &syscall);
    }
    failed = i;
  }
  close(sock);
  if (err != 0) {
    napi_value error = make_errno_error(env, err, syscall, "rtnetlink request refused");
    napi_value index_value, detail_value;
    napi_create_uint32(env, failed, &index_value);
    napi_set_named_property(env, error, "request", index_value);
    napi_create_string_utf8(env, detail, NAPI_AUTO_LENGTH, &detail_value);
    napi_set_named_property(env, error, "detail", detail_value);
    napi_throw(env, error);
  }
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// Software segmentation

typedef struct {
  napi_env env;
  napi_value array;
  uint32_t count;
  int failed;
} SegmentList;

static int push_segment(void *ctx, const uint8_t *segment, size_t len) {
  SegmentList *list = ctx;
  napi_value buffer;
  if (napi_create_buffer_copy(list->env, len, segment, NULL, &buffer) != napi_ok ||
      napi_set_element(list->env, list->array, list->count++, buffer) != napi_ok) {
    list->failed = 1;
    return 1;
  }
  return 0;
}

// segment(frame, header): the wire frames of a super-frame read from a TAP with offloads, as
// an array of Buffers with their checksums filled in; null when the header is not one this
// can segment (the caller drops the frame).
static napi_value Segment(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *frame = NULL, *header = NULL;
  size_t frame_len = 0, header_len = 0;
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "segment(frame, header) needs a frame and its header");
    return NULL;
  }
  if (!frame_bytes(env, argv[0], &frame, &frame_len) ||
      !frame_bytes(env, argv[1], &header, &header_len)) {
    return NULL;
  }
  napi_value result;
  if (header_len != VNET_HDR_LEN) {
    napi_throw_range_error(env, NULL, "segment: a header is 10 bytes");
    return NULL;
  }
  VnetHeader h = vnet_header_parse(header);
  unsigned char *scratch = malloc(SCRATCH_SIZE);
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "segment: out of memory");
    return NULL;
  }
  SegmentList list = {.env = env};
  int made = -1;
  if (napi_create_array(env, &list.array) == napi_ok) {
    made = vnet_segment(frame, frame_len, &h, scratch, SCRATCH_SIZE, push_segment, &list);
  }
  free(scratch);
  if (list.failed || list.array == NULL) {
    throw_last_napi_error(env, "segment");
    return NULL;
  }
  if (made < 0) {
    CHECK(env, napi_get_null(env, &result));
    return result;
  }
  return list.array;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"start", NULL, Start, NULL, NULL, NULL, napi_default_method, NULL},
      {"write", NULL, Write, NULL, NULL, NULL, napi_default_method, NULL},
      {"pause", NULL, Pause, NULL, NULL, NULL, napi_default_method, NULL},
      {"resume", NULL, Resume, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default_method, NULL},
      {"fd", NULL, NULL, GetFd, NULL, NULL, napi_enumerable, NULL},
      {"closed", NULL, NULL, GetFlag, NULL, NULL, napi_enumerable,
       (void *)offsetof(Device, closed)},
      {"reading", NULL, NULL, GetFlag, NULL, NULL, napi_enumerable,
       (void *)offsetof(Device, reading)},
      {"lastWriteError", NULL, NULL, GetLastWriteError, NULL, NULL, napi_enumerable, NULL},
      {"offloads", NULL, NULL, GetFlag, NULL, NULL, napi_enumerable,
       (void *)offsetof(Device, vnet)},
  };
  napi_value device_class, open_fn;
  CHECK(env, napi_define_class(env, "TapDevice", NAPI_AUTO_LENGTH, New, NULL,
                               sizeof methods / sizeof methods[0], methods, &device_class));
  CHECK(env, napi_set_named_property(env, exports, "TapDevice", device_class));
  CHECK(env, napi_create_function(env, "open", NAPI_AUTO_LENGTH, Open, NULL, &open_fn));
  CHECK(env, napi_set_named_property(env, exports, "open", open_fn));
  const struct {
    const char *name;
    napi_callback fn;
  } functions[] = {
      {"enterNetns", EnterNetns}, {"leaveNetns", LeaveNetns}, {"createNetns", CreateNetns},
      {"linkUp", LinkUp},         {"mkfifo", Mkfifo},           {"ifIndex", IfIndex},
      {"rtnetlink", Rtnetlink},   {"timerfd", Timerfd},         {"setTimerfd", SetTimerfd},
      {"segment", Segment},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    CHECK(env, napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn,
                                    NULL, &fn));
    CHECK(env, napi_set_named_property(env, exports, functions[i].name, fn));
  }
  napi_value threshold;
  CHECK(env, napi_create_uint32(env, SUPER_FRAME_THRESHOLD, &threshold));
  CHECK(env, napi_set_named_property(env, exports, "superFrameThreshold", threshold));
  return exports;
}
