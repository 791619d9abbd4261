/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heca multiboot guest: entry.  The loader enters in 32-bit protected mode
 * with flat segments, paging and interrupts off, EAX = multiboot magic and
 * EBX = physical address of the multiboot information.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000002	/* bit 1: give us mem_lower/mem_upper */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .bss
	.balign 16
stack:
	.skip 16384
stack_top:

	.text
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	mov	%eax, %edx		/* keep magic in EDX, info in EBX */
	mov	$__bss_start, %edi	/* zero .bss (and the stack in it) */
	mov	$_end, %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	rep stosb
	mov	$stack_top, %esp
	push	%ebx
	push	%edx
	call	guest_main		/* does not return */
1:	hlt
	jmp	1b
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
