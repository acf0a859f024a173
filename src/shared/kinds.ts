/** The kinds of frames a fabric port carries; each maps to one pcapng link type. */
export type LinkType = 'ethernet' | 'ieee802154' | 'raw-ip' | 'ppp';

/** pcap/pcapng LINKTYPE_* number for each link type. */
export const PCAP_LINKTYPE: Readonly<Record<LinkType, number>> = {
  ethernet: 1, // LINKTYPE_ETHERNET
  ieee802154: 230, // LINKTYPE_IEEE802_15_4_NOFCS
  'raw-ip': 101, // LINKTYPE_RAW
  // PPP in HDLC-like framing (RFC 1662): address, control, protocol, information; no flags,
  // escapes or FCS.
  ppp: 50, // LINKTYPE_PPP_HDLC
};

/** Where a lab's host plumbing lives (see DESIGN.md, "Where the lab's network lives"). */
export type NetworkMode = 'isolated' | 'host';

/**
 * Why a fabric dropped a frame. 'device-error': the port's device refused the frame (a TAP whose
 * interface is down answers EIO). The last three are a link impairment's own (issue 10): 'loss'
 * (random or bursty loss), 'rate-queue' (the queue in front of a rate limit overflowed),
 * 'limit' (the impairment already held its limit of frames).
 */
export type DropCause =
  | 'no-destination'
  | 'queue-full'
  | 'device-error'
  | 'too-big'
  | 'port-down'
  | 'loss'
  | 'rate-queue'
  | 'limit';

/** Every drop cause, in display order. */
export const DROP_CAUSES: readonly DropCause[] = [
  'no-destination',
  'queue-full',
  'device-error',
  'too-big',
  'port-down',
  'loss',
  'rate-queue',
  'limit',
];
