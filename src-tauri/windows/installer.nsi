; NurseCare per-user installer (no admin rights: nurses install it on locked-down PCs).
; Built on Linux by scripts/windows-installers.sh:
;   makensis -DVERSION=0.1.0 -DVERSION_NUM=0.1.0 -DINPUT_DIR=/abs/exes -DOUT_DIR=/abs/out installer.nsi
; Switches: installer /S (silent); uninstaller /S (silent), /DELETEDATA (also remove the
; user's data; off by default, the uninstaller's page shows it as an unchecked box).
Unicode true
; 64-bit stub: the app is x64 only, and a 64-bit process reads the native registry view.
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user
ManifestDPIAware true

!ifndef VERSION | INPUT_DIR | OUT_DIR
  !error "pass -DVERSION=x.y.z -DINPUT_DIR=... -DOUT_DIR=... (see scripts/windows-installers.sh)"
!endif
!define /ifndef VERSION_NUM "${VERSION}"
!define NAME "NurseCare"
; The AppUserModelID: tauri.conf.json's identifier, passed in by the script.
!define /ifndef AUMID "care.nursecare.desktop"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${AUMID}"
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_URL "https://developer.microsoft.com/microsoft-edge/webview2/"

Name "${NAME}"
OutFile "${OUT_DIR}/${NAME}_${VERSION}_x64-setup.exe"
; Fixed folder, no directory page: upgrades and IT scripts always find the same place.
InstallDir "$LOCALAPPDATA\Programs\${NAME}"
BrandingText "${NAME} ${VERSION}"
VIProductVersion "${VERSION_NUM}.0"
VIAddVersionKey ProductName "${NAME}"
VIAddVersionKey ProductVersion "${VERSION}"
VIAddVersionKey FileVersion "${VERSION}"
VIAddVersionKey CompanyName "NurseCare"
VIAddVersionKey FileDescription "${NAME} Setup"
VIAddVersionKey LegalCopyright "NurseCare contributors, AGPL-3.0-or-later"

!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include nsDialogs.nsh

!define MUI_ICON "${__FILEDIR__}/../../icons/icon.ico"
!define MUI_UNICON "${__FILEDIR__}/../../icons/icon.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\nursecare-desktop.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${NAME}"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
UninstPage custom un.DataPage un.DataPageLeave
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Var DeleteData
Var Log ; install.log beside the app: what a silent install found
Var DeleteDataBox

; A running exe cannot be opened for writing (its image is mapped), so this finds a running
; NurseCare without a process-list plugin. Interactive: ask to close it; silent: give up with
; exit code 2 rather than leave a half-replaced install.
!macro RefuseWhileRunning
  ${Do}
    ClearErrors
    ${IfNot} ${FileExists} "$INSTDIR\nursecare-desktop.exe"
      ${Break}
    ${EndIf}
    FileOpen $0 "$INSTDIR\nursecare-desktop.exe" a
    ${IfNot} ${Errors}
      FileClose $0
      ${Break}
    ${EndIf}
    ${If} ${Cmd} `MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${NAME} is running. Close it, then choose Retry." /SD IDCANCEL IDCANCEL`
      Abort "${NAME} is running."
    ${EndIf}
  ${Loop}
!macroend

; Writes System.AppUserModel.ID into an existing .lnk (PKEY {9F4C2855-...}, 5, VT_LPWSTR):
; Windows groups taskbar buttons and attributes toast notifications by matching the running
; app's AUMID with its Start-menu shortcut's. CreateShortcut cannot set it and the
; WinShell plugin is not in Debian's nsis, so it goes through COM by vtable index:
; IUnknown 0 QueryInterface 2 Release; IPersistFile 5 Load 6 Save; IPropertyStore 6 SetValue 7 Commit.
; The key and value, as propsys reads them back, and the HRESULT go to install.log: Wine's
; shell links ignore property stores, so that line is what the Wine test can check.
!macro SetShortcutAumid LNK ID ; uses $0-$7 (only called from the install section)
  StrCpy $1 0
  StrCpy $2 0
  StrCpy $6 "?"
  StrCpy $7 "?"
  ; CLSID_ShellLink, IID_IShellLinkW; CLSCTX_INPROC_SERVER
  System::Call 'ole32::CoCreateInstance(g "{00021401-0000-0000-C000-000000000046}", p 0, i 1, g "{000214F9-0000-0000-C000-000000000046}", *p .r0) i .r5'
  ${If} $5 = 0
    System::Call '$0->0(g "{0000010B-0000-0000-C000-000000000046}", *p .r1) i .r5' ; IPersistFile
    ${If} $5 = 0
      System::Call '$1->5(w "${LNK}", i 2) i .r5' ; Load, STGM_READWRITE
    ${EndIf}
    ${If} $5 = 0
      System::Call '$0->0(g "{886D8EEB-8CF2-4446-8D02-CDBA1DBDCF99}", *p .r2) i .r5' ; IPropertyStore
    ${EndIf}
    ${If} $5 = 0
      System::Call '*(&g16 "{9F4C2855-9F79-4B39-A8D0-E1D42DE1D5F3}", i 5) p .r3' ; PROPERTYKEY
      ; SHStrDupW gives the CoTaskMem string that PropVariantClear frees.
      System::Call 'shlwapi::SHStrDupW(w "${ID}", *p .r4) i .r5'
      System::Call '*(&i2 31, &i2 0, i 0, p r4, p 0) p .r4' ; PROPVARIANT {VT_LPWSTR, pwszVal}
      System::Call 'propsys::PSStringFromPropertyKey(p r3, w .r6, i ${NSIS_MAX_STRLEN})'
      System::Call 'propsys::PropVariantToString(p r4, w .r7, i ${NSIS_MAX_STRLEN})'
      System::Call '$2->6(p r3, p r4) i .r5'
      ${If} $5 = 0
        System::Call '$2->7() i .r5'
      ${EndIf}
      ${If} $5 = 0
        System::Call '$1->6(p 0, i 1) i .r5' ; Save to the loaded file
      ${EndIf}
      System::Call 'ole32::PropVariantClear(p r4)'
      System::Free $4
      System::Free $3
    ${EndIf}
    ${If} $2 P<> 0
      System::Call '$2->2()'
    ${EndIf}
    ${If} $1 P<> 0
      System::Call '$1->2()'
    ${EndIf}
    System::Call '$0->2()'
  ${EndIf}
  IntFmt $5 "0x%08X" $5
  DetailPrint "Shortcut AppUserModelID $6 = $7: HRESULT $5"
  FileWrite $Log "Shortcut AppUserModelID $6 = $7: HRESULT $5$\r$\n"
!macroend

; The app is a WebView2 window. The runtime is never downloaded here (offline installs, IT
; controls what lands on clinical PCs): report it and carry on.
Function CheckWebView2
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" pv
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" pv
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKLM "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" pv
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    StrCpy $0 "missing: ${NAME} needs the Microsoft Edge WebView2 Runtime (Windows 11 ships it; on Windows 10 IT can install the Evergreen runtime from Microsoft: ${WEBVIEW2_URL})"
    MessageBox MB_OK|MB_ICONINFORMATION "${NAME} needs the Microsoft Edge WebView2 Runtime, which is not installed on this PC.$\r$\n$\r$\nWindows 11 ships it. On Windows 10 your IT department can install the Evergreen WebView2 Runtime from Microsoft:$\r$\n${WEBVIEW2_URL}$\r$\n$\r$\nSetup will continue; ${NAME} starts once the runtime is installed." /SD IDOK
  ${EndIf}
  DetailPrint "WebView2 Runtime: $0"
  FileWrite $Log "WebView2 Runtime: $0$\r$\n"
FunctionEnd

Section "Install"
  SetShellVarContext current
  !insertmacro RefuseWhileRunning
  SetOutPath "$INSTDIR"
  ; An upgrade replaces the program files; DLLs go first so one dropped by this version
  ; does not linger. User data lives elsewhere (%APPDATA%, %LOCALAPPDATA%) and is not touched.
  Delete "$INSTDIR\*.dll"
  File "${INPUT_DIR}/nursecare-desktop.exe"
  File "${INPUT_DIR}/nursecare-cli.exe"
  !pragma warning push
  !pragma warning disable 7010 ; "no files found": a build without DLLs is fine
  File /nonfatal "${INPUT_DIR}/*.dll" ; WebView2Loader.dll when the build links it dynamically
  !pragma warning pop
  WriteUninstaller "$INSTDIR\uninstall.exe"
  ; Silent installs show nothing, so what matters goes to a log beside the app.
  FileOpen $Log "$INSTDIR\install.log" w
  FileWrite $Log "${NAME} ${VERSION}$\r$\n"

  CreateShortcut "$SMPROGRAMS\${NAME}.lnk" "$INSTDIR\nursecare-desktop.exe" "" "$INSTDIR\nursecare-desktop.exe" 0
  !insertmacro SetShortcutAumid "$SMPROGRAMS\${NAME}.lnk" "${AUMID}"

  WriteRegStr HKCU "${UNINST_KEY}" DisplayName "${NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" DisplayVersion "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" Publisher "NurseCare"
  WriteRegStr HKCU "${UNINST_KEY}" DisplayIcon "$INSTDIR\nursecare-desktop.exe,0"
  WriteRegStr HKCU "${UNINST_KEY}" InstallLocation "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" UninstallString '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" QuietUninstallString '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" NoModify 1
  WriteRegDWORD HKCU "${UNINST_KEY}" NoRepair 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINST_KEY}" EstimatedSize $0
  Call CheckWebView2
  FileClose $Log
SectionEnd

Function un.onInit
  SetShellVarContext current
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/DELETEDATA" $1
  ${If} ${Errors}
    StrCpy $DeleteData 0
  ${Else}
    StrCpy $DeleteData 1
  ${EndIf}
FunctionEnd

; The only way the uninstaller removes the user's data: this box, unchecked by default.
Function un.DataPage
  !insertmacro MUI_HEADER_TEXT "Your data" "Messages cache and sign-in profile"
  nsDialogs::Create 1018
  Pop $0
  ${NSD_CreateLabel} 0 0 100% 36u "Your NurseCare profile and caches stay on this PC unless you tick the box. Keep them if you reinstall NurseCare later."
  Pop $0
  ${NSD_CreateCheckbox} 0 44u 100% 12u "&Also remove my NurseCare data (profile and caches)"
  Pop $DeleteDataBox
  ${If} $DeleteData = 1
    ${NSD_Check} $DeleteDataBox
  ${EndIf}
  nsDialogs::Show
FunctionEnd

Function un.DataPageLeave
  ${NSD_GetState} $DeleteDataBox $DeleteData
  ${If} $DeleteData = ${BST_CHECKED}
    StrCpy $DeleteData 1
  ${Else}
    StrCpy $DeleteData 0
  ${EndIf}
FunctionEnd

Section "Uninstall"
  !insertmacro RefuseWhileRunning
  Delete "$SMPROGRAMS\${NAME}.lnk"
  Delete "$INSTDIR\nursecare-desktop.exe"
  Delete "$INSTDIR\nursecare-cli.exe"
  Delete "$INSTDIR\*.dll"
  Delete "$INSTDIR\install.log"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR" ; not /r: never sweep away files someone else put there
  DeleteRegKey HKCU "${UNINST_KEY}"
  ; What the app itself wrote for this user: start at login (it would point at nothing) and
  ; its AppUserModelID's name for toasts.
  DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "${NAME}"
  DeleteRegKey HKCU "Software\Classes\AppUserModelId\${AUMID}"
  ${If} $DeleteData = 1
    DetailPrint "Removing the user's NurseCare data"
    RMDir /r "$APPDATA\${NAME}"
    RMDir /r "$LOCALAPPDATA\${NAME}"
    RMDir /r "$LOCALAPPDATA\${AUMID}" ; the WebView2 user-data folder Tauri creates
    RMDir /r "$APPDATA\${AUMID}" ; the window's remembered size and place
  ${EndIf}
SectionEnd
