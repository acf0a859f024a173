// Offloads of a TAP opened with IFF_VNET_HDR: the virtio-net header that comes with every frame,
// checksum completion and software segmentation of super-frames (what the kernel's
// skb_checksum_help() and skb_gso_segment() do for a device without offloads).
#ifndef NETWEAVE_TAP_GSO_H
#define NETWEAVE_TAP_GSO_H

#include <stddef.h>
#include <stdint.h>

// struct virtio_net_hdr as a TAP reads and writes it (legacy layout, little-endian on the
// architectures netweave runs on), 10 bytes.
#define VNET_HDR_LEN 10

// Flags and GSO types of the header (linux/virtio_net.h; UDP_L4 is newer than some headers).
#define VNET_F_NEEDS_CSUM 1
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5
#define VNET_GSO_ECN 0x80

typedef struct {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
} VnetHeader;

// Parses the 10 header bytes at `p`.
VnetHeader vnet_header_parse(const uint8_t *p);

// Writes `h` as 10 header bytes at `p`.
void vnet_header_write(const VnetHeader *h, uint8_t *p);

// Completes a partial checksum in place (VNET_F_NEEDS_CSUM): sums the frame from csum_start
// and stores the result at csum_start + csum_offset. Returns 0, or -1 when the offsets do not
// fit the frame.
int vnet_complete_checksum(uint8_t *frame, size_t len, const VnetHeader *h);

// Called with each segment software segmentation makes; the segment is only valid during the
// call. Returns 0 to go on, nonzero to stop.
typedef int (*segment_fn)(void *ctx, const uint8_t *segment, size_t len);

// Cuts a super-frame (gso_type TCPV4, TCPV6 or UDP_L4, with its headers' partial checksum) into
// wire frames of at most gso_size payload bytes each, with their lengths, IPv4 ids, TCP sequence
// numbers and flags, and checksums filled in, as the kernel's TCP and UDP segmentation does.
// `scratch` holds at least one segment (the frame's headers plus gso_size bytes). Returns the
// number of segments made, or -1 when the frame is not one this can segment (another GSO type,
// headers that do not parse, a gso_size of 0).
int vnet_segment(const uint8_t *frame, size_t len, const VnetHeader *h, uint8_t *scratch,
                 size_t scratch_len, segment_fn emit, void *ctx);

#endif
