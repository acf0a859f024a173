// Checksums and software segmentation for frames that come with a virtio-net header. See gso.h.

#include "gso.h"

#include <arpa/inet.h>
#include <string.h>

#define ETH_HLEN_ 14
#define VLAN_HLEN_ 4
#define IPV4_MIN_HLEN 20
#define IPV6_HLEN 40
#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static void put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static uint16_t get_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
  put_be16(p, (uint16_t)(v >> 16));
  put_be16(p + 2, (uint16_t)v);
}

VnetHeader vnet_header_parse(const uint8_t *p) {
  VnetHeader h = {
      .flags = p[0],
      .gso_type = p[1],
      .hdr_len = get_le16(p + 2),
      .gso_size = get_le16(p + 4),
      .csum_start = get_le16(p + 6),
      .csum_offset = get_le16(p + 8),
  };
  return h;
}

void vnet_header_write(const VnetHeader *h, uint8_t *p) {
  p[0] = h->flags;
  p[1] = h->gso_type;
  put_le16(p + 2, h->hdr_len);
  put_le16(p + 4, h->gso_size);
  put_le16(p + 6, h->csum_start);
  put_le16(p + 8, h->csum_offset);
}

// The Internet checksum (RFC 1071) adds 16-bit words in one's complement. Adding the words as
// the machine loads them and storing the folded result the same way gives the right bytes in
// either byte order, so the sum runs over native 32-bit loads. `len` counts from an even offset
// of the checksummed data.
static uint64_t sum_bytes(const uint8_t *p, size_t len, uint64_t acc) {
  while (len >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    acc += (v & 0xffffffffu) + (v >> 32);
    p += 8;
    len -= 8;
  }
  if (len >= 4) {
    uint32_t v;
    memcpy(&v, p, 4);
    acc += v;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t v;
    memcpy(&v, p, 2);
    acc += v;
    p += 2;
    len -= 2;
  }
  if (len == 1) {
    // The odd last byte is the first byte of a word padded with zero.
    uint8_t pad[2] = {p[0], 0};
    uint16_t v;
    memcpy(&v, pad, 2);
    acc += v;
  }
  return acc;
}

static uint16_t fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)acc;
}

// Stores the one's complement of the folded sum at `field`. For UDP a result of 0 is sent as
// 0xffff (RFC 768: a UDP checksum of 0 means "none"); TCP keeps 0, as checkers expect.
static void store_checksum(uint8_t *field, uint64_t acc, int udp) {
  uint16_t c = (uint16_t)~fold(acc);
  if (c == 0 && udp) c = 0xffff;
  memcpy(field, &c, 2);
}

int vnet_complete_checksum(uint8_t *frame, size_t len, const VnetHeader *h) {
  size_t start = h->csum_start, field = start + h->csum_offset;
  if ((start & 1) != 0 || field + 2 > len) return -1;
  // The field holds the pseudo-header's sum, so summing over it adds that in.
  uint64_t acc = sum_bytes(frame + start, len - start, 0);
  // A checksum field 6 bytes into the transport header is UDP's (TCP's is 16 in).
  store_checksum(frame + field, acc, h->csum_offset == 6);
  return 0;
}

// The sum of the pseudo-header (RFC 793 / RFC 768 for IPv4, RFC 8200 8.1 for IPv6).
static uint64_t pseudo_sum(const uint8_t *frame, size_t l3, int v6, uint8_t proto,
                           uint32_t l4_len) {
  uint64_t acc = v6 ? sum_bytes(frame + l3 + 8, 32, 0) : sum_bytes(frame + l3 + 12, 8, 0);
  acc += htons(proto);
  if (v6) acc += htons((uint16_t)(l4_len >> 16));
  acc += htons((uint16_t)l4_len);
  return acc;
}

int vnet_segment(const uint8_t *frame, size_t len, const VnetHeader *h, uint8_t *scratch,
                 size_t scratch_len, segment_fn emit, void *ctx) {
  uint8_t type = h->gso_type & (uint8_t)~VNET_GSO_ECN;
  int tcp = type == VNET_GSO_TCPV4 || type == VNET_GSO_TCPV6;
  if (!tcp && type != VNET_GSO_UDP_L4) return -1;
  size_t mss = h->gso_size;
  if (mss == 0 || len < ETH_HLEN_) return -1;

  size_t l3 = ETH_HLEN_;
  uint16_t ethertype = get_be16(frame + 12);
  if (ethertype == 0x8100 || ethertype == 0x88a8) {
    if (len < ETH_HLEN_ + VLAN_HLEN_) return -1;
    l3 += VLAN_HLEN_;
    ethertype = get_be16(frame + 16);
  }
  int v6;
  if (ethertype == 0x0800 && type != VNET_GSO_TCPV6) {
    v6 = 0;
  } else if (ethertype == 0x86dd && type != VNET_GSO_TCPV4) {
    v6 = 1;
  } else {
    return -1;
  }
  size_t ihl = v6 ? IPV6_HLEN : (size_t)(frame[l3] & 0x0f) * 4;
  if (len < l3 + IPV4_MIN_HLEN || (!v6 && ihl < IPV4_MIN_HLEN) || len < l3 + ihl) return -1;
  // The transport header starts where the partial checksum does (after any IPv6 extension
  // headers); for IPv4 that is right after the IP header.
  size_t l4 = h->csum_start;
  if (l4 < l3 + ihl || (!v6 && l4 != l3 + ihl) || (l4 & 1) != 0) return -1;
  size_t l4_hlen = UDP_HLEN;
  if (tcp) {
    if (len < l4 + TCP_MIN_HLEN) return -1;
    l4_hlen = (size_t)(frame[l4 + 12] >> 4) * 4;
    if (l4_hlen < TCP_MIN_HLEN) return -1;
  }
  size_t hdrs = l4 + l4_hlen;
  if (len < hdrs || scratch_len < hdrs + mss) return -1;
  size_t payload = len - hdrs;
  size_t count = payload == 0 ? 1 : (payload + mss - 1) / mss;

  uint16_t id = v6 ? 0 : get_be16(frame + l3 + 4);
  uint32_t seq = tcp ? get_be32(frame + l4 + 4) : 0;
  uint8_t tcp_flags = tcp ? frame[l4 + 13] : 0;
  uint8_t proto = tcp ? 6 : 17;
  size_t field = l4 + (tcp ? 16 : 6);
  for (size_t i = 0; i < count; i++) {
    size_t seg = payload - i * mss < mss ? payload - i * mss : mss;
    size_t total = hdrs + seg;
    memcpy(scratch, frame, hdrs);
    memcpy(scratch + hdrs, frame + hdrs + i * mss, seg);
    if (v6) {
      put_be16(scratch + l3 + 4, (uint16_t)(total - l3 - IPV6_HLEN));
    } else {
      put_be16(scratch + l3 + 2, (uint16_t)(total - l3));
      put_be16(scratch + l3 + 4, (uint16_t)(id + i));
      scratch[l3 + 10] = 0;
      scratch[l3 + 11] = 0;
      uint16_t c = (uint16_t)~fold(sum_bytes(scratch + l3, ihl, 0));
      memcpy(scratch + l3 + 10, &c, 2);
    }
    uint32_t l4_len = (uint32_t)(total - l4);
    if (tcp) {
      put_be32(scratch + l4 + 4, seq + (uint32_t)(i * mss));
      uint8_t flags = tcp_flags;
      if (i > 0) flags &= (uint8_t)~TCP_CWR;
      if (i + 1 < count) flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
      scratch[l4 + 13] = flags;
    } else {
      put_be16(scratch + l4 + 4, (uint16_t)l4_len);
    }
    scratch[field] = 0;
    scratch[field + 1] = 0;
    uint64_t acc = pseudo_sum(scratch, l3, v6, proto, l4_len);
    store_checksum(scratch + field, sum_bytes(scratch + l4, l4_len, acc), !tcp);
    if (emit(ctx, scratch, total) != 0) return (int)(i + 1);
  }
  return (int)count;
}
