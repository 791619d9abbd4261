/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca test guests: the page format, shared by the guest and the host tests.
 *
 * The guest owns every 4 KiB page from the end of its image (rounded up to
 * 2 MiB) to the top of RAM and writes each of them in this format.  Words are
 * 32-bit, little-endian; P is the page's guest-physical address, pfn = P >> 12.
 *
 *   word 0          HG_MAGIC
 *   word 1          pfn         where the page belongs
 *   word 2          gen         how many times the guest has written the page
 *   word 3          csum        FNV-1a over words 0-2 and 4-1023
 *   word i, i >= 4  hg_key(seed, gen) ^ (P + 4 * i) * HG_GOLDEN
 *
 * Every word depends on the seed, the generation and its own address, so a
 * page that is lost (zero), stale (an older generation), misplaced (another
 * page's contents) or torn (half of two generations) fails hg_check_page().
 * The checksum lets a checker that does not know the seed (a host tool) tell
 * a whole page from a torn one by magic, pfn and hg_csum() alone; one that
 * knows the seed but not the generation passes HG_ANY_GEN to hg_check_page().
 *
 * Today the guest writes all pages with gen 1..rounds, verifies them after
 * each round and exits.  The migration guest is meant to grow from it: it
 * sweeps the pages over and over, page after page, gen + 1 each sweep, so
 * at any instant pages below the sweep cursor hold gen g + 1 and the others
 * gen g; after a migration it re-verifies everything against that rule, so a
 * write that the migration lost shows as a page with the older generation.
 *
 * The seed comes from the command line (seed=0x1234), so pages left over by
 * an earlier run with another seed never pass for this run's.
 */
#ifndef HECA_GUEST_H
#define HECA_GUEST_H

#include <stdint.h>

#define HG_PAGE_SIZE	4096u
#define HG_PAGE_WORDS	(HG_PAGE_SIZE / 4)
#define HG_HDR_WORDS	4
#define HG_MAGIC	0x61636568u	/* "heca" in memory order */
#define HG_GOLDEN	0x9e3779b1u	/* odd: addr * HG_GOLDEN is one-to-one */
#define HG_ANY_GEN	0xffffffffu	/* hg_check_page(): take the page's gen */

/* The guest's data starts at the end of its image rounded up to this. */
#define HG_DATA_ALIGN	(2u << 20)

/*
 * The guest leaves QEMU through -device isa-debug-exit,iobase=0xf4,iosize=4
 * by writing one of these; QEMU then exits with status (code << 1) | 1.
 * Any other status means the guest did not finish (0: triple fault, as with
 * -no-reboot; 1: QEMU's own error).
 */
#define HG_EXIT_PORT	0xf4
#define HG_EXIT_OK	0x10
#define HG_EXIT_FAIL	0x11
#define HG_QEMU_STATUS(code)	(((code) << 1) | 1)

/* hg_check_page() result: a mask of what is wrong, 0 if the page is good. */
#define HG_BAD_MAGIC	0x1u
#define HG_BAD_PFN	0x2u
#define HG_BAD_GEN	0x4u
#define HG_BAD_CSUM	0x8u
#define HG_BAD_DATA	0x10u

static inline uint32_t hg_mix(uint32_t x)
{
	/* lowbias32 by Chris Wellons: a cheap, well-mixing 32-bit bijection */
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static inline uint32_t hg_key(uint32_t seed, uint32_t gen)
{
	return hg_mix(seed ^ hg_mix(gen * HG_GOLDEN + 1));
}

static inline uint32_t hg_fnv(uint32_t h, uint32_t word)
{
	return (h ^ word) * 16777619u;
}

#define HG_FNV_INIT	2166136261u

static inline uint32_t hg_csum(const uint32_t *w)
{
	uint32_t h = HG_FNV_INIT;
	uint32_t i;

	for (i = 0; i < HG_PAGE_WORDS; i++)
		if (i != 3)
			h = hg_fnv(h, w[i]);
	return h;
}

/* Write page @pfn in generation @gen; @w is where the page is mapped. */
static inline void hg_fill_page(uint32_t *w, uint32_t seed, uint32_t gen,
				uint32_t pfn)
{
	uint32_t key = hg_key(seed, gen);
	uint32_t addr = pfn * HG_PAGE_SIZE;
	uint32_t i;

	w[0] = HG_MAGIC;
	w[1] = pfn;
	w[2] = gen;
	for (i = HG_HDR_WORDS; i < HG_PAGE_WORDS; i++)
		w[i] = key ^ (addr + 4 * i) * HG_GOLDEN;
	w[3] = hg_csum(w);
}

/*
 * Check that @w holds page @pfn of generation @gen (HG_ANY_GEN: whichever
 * generation its header says).  Returns 0 or a mask of HG_BAD_*.
 */
static inline uint32_t hg_check_page(const uint32_t *w, uint32_t seed,
				     uint32_t gen, uint32_t pfn)
{
	uint32_t addr = pfn * HG_PAGE_SIZE;
	uint32_t bad = 0, key, i;

	if (w[0] != HG_MAGIC)
		bad |= HG_BAD_MAGIC;
	if (w[1] != pfn)
		bad |= HG_BAD_PFN;
	if (gen == HG_ANY_GEN)
		gen = w[2];
	else if (w[2] != gen)
		bad |= HG_BAD_GEN;
	if (w[3] != hg_csum(w))
		bad |= HG_BAD_CSUM;
	key = hg_key(seed, gen);
	for (i = HG_HDR_WORDS; i < HG_PAGE_WORDS; i++) {
		if (w[i] != (key ^ (addr + 4 * i) * HG_GOLDEN)) {
			bad |= HG_BAD_DATA;
			break;
		}
	}
	return bad;
}

#endif /* HECA_GUEST_H */
