/* Test support for running Rust programs under Wine 8.0 (scripts/windows.sh copies the DLL
 * built from this file into a throwaway Wine prefix, never into an installer): Rust >= 1.78's
 * standard library takes its random bytes from ProcessPrng in bcryptprimitives.dll, which
 * Wine 8.0 lacks, so every Rust program there exits 53 before main. Windows 10 and 11 have
 * the real one. This gives the same bytes source Wine already has, RtlGenRandom. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
