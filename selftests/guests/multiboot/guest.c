// SPDX-License-Identifier: GPL-2.0
/*
 * heca multiboot guest: fill all RAM above the image with the page format of
 * heca_guest.h, read it back, report on COM1 and exit QEMU with the result.
 *
 * Command line (multiboot): seed=N rounds=N, numbers in decimal or 0x-hex.
 * Serial output, one line each:
 *   heca-guest: mem=<KiB> KiB pattern=0x<magic> seed=0x<seed> rounds=<n>
 *               start=0x<addr> end=0x<addr> pages=<n>
 *   heca-guest: bad page pfn=0x<pfn> gen=<n> what=0x<HG_BAD_*>  (first few)
 *   heca-guest: verify ok|FAILED mismatches=<pages>
 *   heca-guest: done
 *
 * mode=sweep is the migration guest: it keeps running, writing and checking,
 * while it is migrated.  It fills every page with generation 1, then sweeps
 * the first wss=N pages (default: all) over and over: each page must hold
 * the previous sweep's generation before it gets the next one, so a write
 * that a migration lost (or a stale page) shows on the next sweep.  Each
 * sweep also checks a slice of the pages beyond wss (generation 1), so that
 * every page is checked again within a few sweeps.  After each sweep:
 *   heca-guest: sweep <gen> mismatches=<total so far>
 * pace=N spins N times per page written (a lower dirty rate).  The guest
 * stops after sweeps=N sweeps (0, the default: never) or when a byte
 * arrives on COM2 (the host's "stop"); it then checks every page and ends
 * with the verify and done lines above.
 */
#include <stdint.h>
#include "heca_guest.h"

#define COM1		0x3f8
#define COM2		0x2f8
#define UART_LSR	5	/* line status: bit 0 data ready */
#define MB_BOOT_MAGIC	0x2badb002
#define MB_INFO_MEM	0x1	/* mem_lower, mem_upper valid */
#define MB_INFO_CMDLINE	0x4	/* cmdline valid */
#define MAX_BAD_SHOWN	8

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;	/* KiB below 640 KiB */
	uint32_t mem_upper;	/* KiB from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;	/* physical address of a C string */
};

extern char _end[];	/* from guest.ld */

static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	__asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static void serial_init(uint16_t port)
{
	outb(port + 1, 0x00);	/* no interrupts */
	outb(port + 3, 0x80);	/* DLAB */
	outb(port + 0, 0x01);	/* 115200 baud */
	outb(port + 1, 0x00);
	outb(port + 3, 0x03);	/* 8N1 */
	outb(port + 2, 0x07);	/* FIFO on, cleared */
}

static void putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))	/* transmit holding register empty */
		;
	outb(COM1, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putu(uint32_t v)
{
	char buf[11];
	int n = 0;

	do
		buf[n++] = '0' + v % 10;
	while (v /= 10);
	while (n)
		putc(buf[--n]);
}

static void putx(uint32_t v)
{
	int shift = 28;

	puts("0x");
	while (shift > 0 && !(v >> shift))	/* no leading zeros */
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void __attribute__((noreturn)) finish(int ok)
{
	puts("heca-guest: done\n");
	outb(HG_EXIT_PORT, ok ? HG_EXIT_OK : HG_EXIT_FAIL);
	for (;;)	/* no isa-debug-exit device: stop here */
		__asm__ volatile("cli; hlt");
}

static void __attribute__((noreturn)) fail(const char *why)
{
	puts("heca-guest: error: ");
	puts(why);
	putc('\n');
	finish(0);
}

/* A decimal or 0x-hexadecimal number at @s. */
static uint32_t number(const char *s)
{
	uint32_t v = 0, base = 10, d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			return v;
		v = v * base + d;
	}
}

/* Value of "key=<number>" in @cmdline, or @def if absent. */
static uint32_t param(const char *cmdline, const char *key, uint32_t def)
{
	const char *p, *q, *k;

	for (p = cmdline; *p; p++) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		for (k = key, q = p; *k && *q == *k; k++, q++)
			;
		if (!*k && *q == '=')
			return number(q + 1);
	}
	return def;
}

/* Is @word (as "key=value") one of the words of @cmdline? */
static int has_word(const char *cmdline, const char *word)
{
	const char *p, *q, *w;

	for (p = cmdline; *p; p++) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		for (w = word, q = p; *w && *q == *w; w++, q++)
			;
		if (!*w && (!*q || *q == ' '))
			return 1;
	}
	return 0;
}

/* Count (and show the first few of) the pages that fail hg_check_page(). */
static uint32_t check(uint32_t pfn, uint32_t seed, uint32_t gen,
		      uint32_t *mismatches)
{
	uint32_t bad = hg_check_page((const uint32_t *)(pfn * HG_PAGE_SIZE),
				     seed, gen, pfn);

	if (bad && (*mismatches)++ < MAX_BAD_SHOWN) {
		puts("heca-guest: bad page pfn=");
		putx(pfn);
		puts(" gen=");
		putu(gen);
		puts(" what=");
		putx(bad);
		putc('\n');
	}
	return bad;
}

/* The host's "stop": any byte on COM2. */
static int stop_requested(void)
{
	if (!(inb(COM2 + UART_LSR) & 1))
		return 0;
	(void)inb(COM2);
	return 1;
}

/*
 * mode=sweep (see the top of the file): pages [@first, @first + @wss) hold
 * the generation of the last sweep, the others generation 1.
 */
static void __attribute__((noreturn))
sweep(const char *cmdline, uint32_t seed, uint32_t first, uint32_t last)
{
	uint32_t wss = param(cmdline, "wss", last - first);
	uint32_t sweeps = param(cmdline, "sweeps", 0);
	uint32_t pace = param(cmdline, "pace", 0);
	uint32_t gen, done = 1, pfn, cold, slice, mismatches = 0;
	volatile uint32_t spin;

	if (!wss || wss > last - first)
		wss = last - first;
	cold = first + wss;
	/* every page beyond wss is checked again within 8 sweeps */
	slice = (last - cold + 7) / 8;
	serial_init(COM2);
	while (stop_requested())
		;
	puts("heca-guest: sweep mode wss=");
	putu(wss);
	puts(" sweeps=");
	putu(sweeps);
	puts(" pace=");
	putu(pace);
	putc('\n');
	for (pfn = first; pfn < last; pfn++)
		hg_fill_page((uint32_t *)(pfn * HG_PAGE_SIZE), seed, 1, pfn);
	puts("heca-guest: filled, sweeping\n");
	for (gen = 2; !sweeps || gen <= sweeps + 1; gen++) {
		for (pfn = first; pfn < cold; pfn++) {
			check(pfn, seed, gen - 1, &mismatches);
			hg_fill_page((uint32_t *)(pfn * HG_PAGE_SIZE), seed, gen, pfn);
			for (spin = 0; spin < pace; spin++)
				;
		}
		for (pfn = cold + (gen % 8) * slice;
		     pfn < last && pfn < cold + (gen % 8 + 1) * slice; pfn++)
			check(pfn, seed, 1, &mismatches);
		puts("heca-guest: sweep ");
		putu(gen);
		puts(" mismatches=");
		putu(mismatches);
		putc('\n');
		done = gen;
		if (mismatches || stop_requested())
			break;
	}
	__asm__ volatile("" : : : "memory");
	for (pfn = first; pfn < last; pfn++)
		check(pfn, seed, pfn < cold ? done : 1, &mismatches);
	puts(mismatches ? "heca-guest: verify FAILED" : "heca-guest: verify ok");
	puts(" mismatches=");
	putu(mismatches);
	puts(" sweeps=");
	putu(done - 1);
	putc('\n');
	finish(!mismatches);
}

/* Called by boot.S */
void guest_main(uint32_t magic, const struct mb_info *mbi)
{
	const char *cmdline = "";
	uint32_t seed, rounds, gen, pfn, first, last, bad, mismatches = 0;
	uint64_t end;

	serial_init(COM1);
	if (magic != MB_BOOT_MAGIC)
		fail("not loaded by a multiboot loader");
	if (!(mbi->flags & MB_INFO_MEM))
		fail("no memory size in the multiboot information");
	if (mbi->flags & MB_INFO_CMDLINE)
		cmdline = (const char *)mbi->cmdline;
	seed = param(cmdline, "seed", 0);
	rounds = param(cmdline, "rounds", 1);

	/* Everything below the image's end rounded up stays as it is. */
	first = ((uint32_t)_end + HG_DATA_ALIGN - 1) / HG_DATA_ALIGN *
		(HG_DATA_ALIGN / HG_PAGE_SIZE);
	end = (1ull << 20) + (uint64_t)mbi->mem_upper * 1024;
	if (end > 0xfffff000ull)	/* 32-bit, no paging: stay below 4 GiB */
		end = 0xfffff000ull;
	last = (uint32_t)(end / HG_PAGE_SIZE);
	if (last <= first || !rounds)
		fail("no memory to test");

	puts("heca-guest: mem=");
	putu(1024 + mbi->mem_upper);
	puts(" KiB pattern=");
	putx(HG_MAGIC);
	puts(" seed=");
	putx(seed);
	puts(" rounds=");
	putu(rounds);
	puts(" start=");
	putx(first * HG_PAGE_SIZE);
	puts(" end=");
	putx(last * HG_PAGE_SIZE);
	puts(" pages=");
	putu(last - first);
	putc('\n');

	if (has_word(cmdline, "mode=sweep"))
		sweep(cmdline, seed, first, last);
	for (gen = 1; gen <= rounds && !mismatches; gen++) {
		for (pfn = first; pfn < last; pfn++)
			hg_fill_page((uint32_t *)(pfn * HG_PAGE_SIZE), seed,
				     gen, pfn);
		/* read it all back from memory, not from what was computed */
		__asm__ volatile("" : : : "memory");
		for (pfn = first; pfn < last; pfn++) {
			bad = hg_check_page((const uint32_t *)(pfn * HG_PAGE_SIZE),
					    seed, gen, pfn);
			if (!bad)
				continue;
			if (mismatches++ < MAX_BAD_SHOWN) {
				puts("heca-guest: bad page pfn=");
				putx(pfn);
				puts(" gen=");
				putu(gen);
				puts(" what=");
				putx(bad);
				putc('\n');
			}
		}
	}
	puts(mismatches ? "heca-guest: verify FAILED" : "heca-guest: verify ok");
	puts(" mismatches=");
	putu(mismatches);
	putc('\n');
	finish(!mismatches);
}
