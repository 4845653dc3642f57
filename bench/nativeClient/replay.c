/*
 * Replays pre-encoded Check and Diff requests to a Pulumi plugin host over one HTTP/2 connection,
 * one call at a time, and times each resource (Check sent to Diff answered). The engine that
 * calls the host in a real preview is Go, whose client costs a few microseconds per call; a Node
 * client costs a few hundred, so the benchmark times the host through this instead.
 *
 *   replay <port> <requests-file> <answers-file>
 *
 * requests-file: per resource, u32 big-endian length + CheckRequest bytes, then the same for
 * DiffRequest. answers-file: the same layout with the answers. stdout: nanoseconds per resource,
 * one line each.
 *
 *   replay --cold <port> <requests-file> <answers-file>
 *
 * In either mode <port> may be "-": it is then read from stdin, one line.
 *
 * A host's first calls, on a new connection with no warm-up: Configure, then Check.
 * requests-file: u32 big-endian length + ConfigureRequest bytes, then the same for CheckRequest.
 * answers-file: the two answers, the same layout. stdout: one line, "<configured> <answered>",
 * the CLOCK_MONOTONIC time in nanoseconds at which each answer's stream closed.
 *
 * Exit 1 on a transport error, 2 when a call answers a gRPC status other than 0.
 *
 * Built by bench/nativeClient.ts: gcc -O2 -Wall -Wextra -o replay replay.c -lnghttp2
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

struct buf {
  uint8_t *data;
  size_t len, cap;
};

/* The one call in flight; strictly sequential calls need no per-stream state. */
static struct {
  int32_t stream_id;
  const uint8_t *body;
  size_t body_len, body_sent;
  struct buf *answer;
  char status[16], message[1024];
  int closed;
  uint32_t error_code;
  long long closed_ns; /* CLOCK_MONOTONIC */
} call;

static int fd;
static nghttp2_session *session;

static void die(int code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("replay: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(code);
}

static void append(struct buf *b, const uint8_t *data, size_t len) {
  if (b->len + len > b->cap) {
    b->cap = (b->len + len) * 2;
    if ((b->data = realloc(b->data, b->cap)) == NULL) die(1, "out of memory");
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void copy_value(char *dst, size_t size, const uint8_t *value, size_t len) {
  if (len >= size) len = size - 1;
  memcpy(dst, value, len);
  dst[len] = '\0';
}

static int hex(uint8_t c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* grpc-message is percent-encoded on the wire ("boom%20from%20check"). */
static void percent_decode(char *dst, size_t size, const uint8_t *value, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len && n + 1 < size; i++, n++) {
    if (value[i] == '%' && i + 2 < len && hex(value[i + 1]) >= 0 && hex(value[i + 2]) >= 0)
      dst[n] = (char)(hex(value[i + 1]) << 4 | hex(value[i + 2])), i += 2;
    else
      dst[n] = (char)value[i];
  }
  dst[n] = '\0';
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *dst, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *user) {
  (void)s, (void)id, (void)src, (void)user;
  size_t n = call.body_len - call.body_sent;
  if (n > len) n = len;
  memcpy(dst, call.body + call.body_sent, n);
  call.body_sent += n;
  if (call.body_sent == call.body_len) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

/* grpc-status comes in the trailers, or in the headers of a trailers-only (error) answer. */
static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user) {
  (void)s, (void)flags, (void)user;
  if (frame->hd.stream_id != call.stream_id) return 0;
  if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
    copy_value(call.status, sizeof call.status, value, valuelen);
  else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0)
    percent_decode(call.message, sizeof call.message, value, valuelen);
  return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *user) {
  (void)s, (void)flags, (void)user;
  if (id == call.stream_id) append(call.answer, data, len);
  return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t error_code, void *user) {
  (void)s, (void)user;
  if (id != call.stream_id) return 0;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  call.closed = 1, call.error_code = error_code;
  call.closed_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
  return 0;
}

/* Everything nghttp2 has queued (our frames, its SETTINGS ACKs and WINDOW_UPDATEs) in one write,
 * so a request leaves as one segment. */
static void flush(void) {
  static struct buf out;
  const uint8_t *chunk;
  ssize_t n;
  out.len = 0;
  while ((n = nghttp2_session_mem_send(session, &chunk)) > 0) append(&out, chunk, (size_t)n);
  if (n < 0) die(1, "nghttp2: %s", nghttp2_strerror((int)n));
  for (size_t off = 0; off < out.len;) {
    ssize_t w = send(fd, out.data + off, out.len - off, MSG_NOSIGNAL);
    if (w < 0 && errno != EINTR) die(1, "send: %s", strerror(errno));
    if (w > 0) off += (size_t)w;
  }
}

#define NV(name, value) \
  { (uint8_t *)(name), (uint8_t *)(value), strlen(name), strlen(value), NGHTTP2_NV_FLAG_NONE }

#define WARM_UP (-1)
#define COLD (-2)

/* "resource 12 Check", for errors; `index` is WARM_UP or COLD for those calls. */
static const char *who(const char *path, long index) {
  static char text[64];
  const char *method = strrchr(path, '/') + 1;
  if (index == COLD) snprintf(text, sizeof text, "the cold %s", method);
  else if (index < 0) snprintf(text, sizeof text, "the warm-up %s", method);
  else snprintf(text, sizeof text, "resource %ld %s", index, method);
  return text;
}

/* One unary call, its answer's DATA (the gRPC frame) into `answer`. */
static void unary(const char *path, const char *authority, const struct buf *frame,
                  struct buf *answer, long index) {
  const nghttp2_nv headers[] = {
      NV(":method", "POST"), NV(":scheme", "http"),
      NV(":authority", authority), NV(":path", path),
      NV("content-type", "application/grpc"), NV("te", "trailers"),
  };
  nghttp2_data_provider provider = {.read_callback = read_body};
  static uint8_t in[65536];

  call.body = frame->data, call.body_len = frame->len, call.body_sent = 0;
  call.answer = answer, answer->len = 0, call.status[0] = call.message[0] = '\0';
  call.closed = 0, call.error_code = 0;
  call.stream_id = nghttp2_submit_request(session, NULL, headers,
                                          sizeof headers / sizeof headers[0], &provider, NULL);
  if (call.stream_id < 0) die(1, "nghttp2: %s", nghttp2_strerror(call.stream_id));
  while (!call.closed) {
    flush();
    ssize_t n = recv(fd, in, sizeof in, 0);
    if (n == 0) die(1, "%s: the host closed the connection", who(path, index));
    if (n < 0 && errno != EINTR) die(1, "recv: %s", strerror(errno));
    if (n > 0 && (n = nghttp2_session_mem_recv(session, in, (size_t)n)) < 0)
      die(1, "nghttp2: %s", nghttp2_strerror((int)n));
  }
  if (call.error_code != NGHTTP2_NO_ERROR)
    die(1, "%s: stream reset (%s)", who(path, index),
        nghttp2_http2_strerror(call.error_code));
  if (strcmp(call.status, "0") != 0)
    die(2, "%s failed: grpc-status %s: %s", who(path, index),
        call.status[0] ? call.status : "missing", call.message);
  /* a unary answer is exactly one uncompressed message */
  if (answer->len < 5 || answer->data[0] != 0 || be32(answer->data + 1) != answer->len - 5)
    die(1, "%s: not one uncompressed gRPC message (%zu bytes)", who(path, index), answer->len);
}

/* An answer as a record: the gRPC prefix's length is the answers file's, so from byte 1. */
static void save(FILE *f, const struct buf *answer, const char *name) {
  if (fwrite(answer->data + 1, 1, answer->len - 1, f) != answer->len - 1)
    die(1, "%s: %s", name, strerror(errno));
}

int main(int argc, char **argv) {
  int cold = argc == 5 && strcmp(argv[1], "--cold") == 0;
  if (argc != 4 && !cold) die(1, "usage: replay [--cold] <port> <requests-file> <answers-file>");
  argv += cold;
  /* A record (u32 length + message) behind a 0 byte is the call's gRPC frame: all built here,
   * before connecting. */
  FILE *f = fopen(argv[2], "rb");
  if (f == NULL) die(1, "%s: %s", argv[2], strerror(errno));
  struct buf file = {0};
  uint8_t chunk[65536];
  for (size_t n; (n = fread(chunk, 1, sizeof chunk, f)) > 0;) append(&file, chunk, n);
  fclose(f);
  size_t calls = 0;
  struct buf *frames = NULL;
  const uint8_t uncompressed = 0;
  for (size_t at = 0; at < file.len; calls++) {
    if (file.len - at < 4 || file.len - at - 4 < be32(file.data + at))
      die(1, "%s: truncated", argv[2]);
    if ((frames = realloc(frames, (calls + 1) * sizeof *frames)) == NULL) die(1, "out of memory");
    frames[calls] = (struct buf){0};
    append(&frames[calls], &uncompressed, 1);
    append(&frames[calls], file.data + at, 4 + be32(file.data + at));
    at += 4 + be32(file.data + at);
  }
  if (cold ? calls != 2 : calls == 0 || calls % 2 != 0)
    die(1, "%s: not %s", argv[2],
        cold ? "a Configure and a Check request" : "pairs of Check and Diff requests");
  size_t resources = calls / 2;

  FILE *answers = fopen(argv[3], "wb");
  if (answers == NULL) die(1, "%s: %s", argv[3], strerror(errno));

  /* "-": the port comes on stdin, so the caller can start this process (a few ms of fork and
   * exec) before the host it is to time exists */
  char line[16] = "";
  const char *port_text = argv[1];
  if (strcmp(port_text, "-") == 0) {
    if (fgets(line, sizeof line, stdin) == NULL) die(1, "no port on stdin");
    port_text = line;
  }
  int port = atoi(port_text);
  if (port <= 0 || port > 65535) die(1, "not a port: %s", port_text);
  char authority[32];
  snprintf(authority, sizeof authority, "127.0.0.1:%d", port);

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) die(1, "socket: %s", strerror(errno));
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    die(1, "connect to %s: %s", authority, strerror(errno));
  /* Nagle would hold a request back until a previous small segment (a SETTINGS ACK, a
   * WINDOW_UPDATE) is acknowledged, and the host delays its ACKs */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  nghttp2_session_callbacks *callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_close);
  /* default options: nghttp2 sends WINDOW_UPDATE itself as mem_recv consumes DATA */
  if (nghttp2_session_client_new(&session, callbacks, NULL) != 0) die(1, "nghttp2: no session");
  nghttp2_session_callbacks_del(callbacks);
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 1);

  const char *check = "/pulumirpc.ResourceProvider/Check";
  const char *diff = "/pulumirpc.ResourceProvider/Diff";
  struct buf answer[2] = {{0}, {0}};
  if (cold) {
    unary("/pulumirpc.ResourceProvider/Configure", authority, &frames[0], &answer[0], COLD);
    long long configured = call.closed_ns;
    unary(check, authority, &frames[1], &answer[1], COLD);
    save(answers, &answer[0], argv[3]), save(answers, &answer[1], argv[3]);
    if (fclose(answers) != 0) die(1, "%s: %s", argv[3], strerror(errno));
    printf("%lld %lld\n", configured, call.closed_ns);
  } else {
    /* the engine's connection is open and warm before a preview starts */
    unary(check, authority, &frames[0], &answer[0], WARM_UP);
    long long *times = malloc(resources * sizeof *times);
    if (times == NULL) die(1, "out of memory");
    for (size_t r = 0; r < resources; r++) {
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      unary(check, authority, &frames[2 * r], &answer[0], (long)r);
      unary(diff, authority, &frames[2 * r + 1], &answer[1], (long)r);
      clock_gettime(CLOCK_MONOTONIC, &t1);
      times[r] = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
      save(answers, &answer[0], argv[3]), save(answers, &answer[1], argv[3]);
    }
    if (fclose(answers) != 0) die(1, "%s: %s", argv[3], strerror(errno));
    for (size_t r = 0; r < resources; r++) printf("%lld\n", times[r]);
  }

  /* a clean GOAWAY, so the host logs no broken connection */
  nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR);
  flush();
  close(fd);
  return fflush(stdout) == 0 ? 0 : 1;
}
