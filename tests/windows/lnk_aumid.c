/* Prints the System.AppUserModel.ID of a .lnk, read the way the Windows shell reads it
 * (IShellLinkW + IPersistFile::Load + IPropertyStore::GetValue), so the installers' shortcut
 * is checked end to end rather than by grepping bytes. Used by
 * scripts/windows-try-installers.sh under Wine. Exit 0: printed the ID; 1: the link has
 * none; 2: the link could not be opened.
 * Build: x86_64-w64-mingw32-gcc -Os -s -municode -o lnk_aumid.exe lnk_aumid.c -lole32 -luuid */
#define COBJMACROS
#include <windows.h>
#include <shobjidl.h>
#include <propsys.h>
#include <stdio.h>

/* PKEY_AppUserModel_ID: {9F4C2855-9F79-4B39-A8D0-E1D42DE1D5F3}, 5 (spelled out: older
 * mingw headers lack it). */
static const PROPERTYKEY aumid_key = {
    {0x9F4C2855, 0x9F79, 0x4B39, {0xA8, 0xD0, 0xE1, 0xD4, 0x2D, 0xE1, 0xD5, 0xF3}}, 5};

int wmain(int argc, wchar_t **argv) {
  IShellLinkW *link = NULL;
  IPersistFile *file = NULL;
  IPropertyStore *store = NULL;
  PROPVARIANT value;
  HRESULT hr;
  int rc = 2;
  if (argc != 2) {
    fputs("usage: lnk_aumid <shortcut.lnk>\n", stderr);
    return 2;
  }
  CoInitialize(NULL);
  PropVariantInit(&value);
  hr = CoCreateInstance(&CLSID_ShellLink, NULL, CLSCTX_INPROC_SERVER, &IID_IShellLinkW,
                        (void **)&link);
  if (SUCCEEDED(hr)) hr = IShellLinkW_QueryInterface(link, &IID_IPersistFile, (void **)&file);
  if (SUCCEEDED(hr)) hr = IPersistFile_Load(file, argv[1], STGM_READ);
  if (FAILED(hr)) {
    fprintf(stderr, "lnk_aumid: cannot open the link (hr=0x%08lx)\n", (unsigned long)hr);
    goto out;
  }
  rc = 1;
  hr = IShellLinkW_QueryInterface(link, &IID_IPropertyStore, (void **)&store);
  if (SUCCEEDED(hr)) hr = IPropertyStore_GetValue(store, &aumid_key, &value);
  if (SUCCEEDED(hr) && value.vt == VT_LPWSTR && value.pwszVal && *value.pwszVal) {
    wprintf(L"%ls\n", value.pwszVal);
    rc = 0;
  } else {
    fprintf(stderr, "lnk_aumid: the link has no AppUserModelID (hr=0x%08lx, vt=%u)\n",
            (unsigned long)hr, (unsigned)value.vt);
  }
out:
  PropVariantClear(&value);
  if (store) IPropertyStore_Release(store);
  if (file) IPersistFile_Release(file);
  if (link) IShellLinkW_Release(link);
  CoUninitialize();
  return rc;
}
