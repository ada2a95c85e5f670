//! What a window manager does with the app's window, done over Xlib on the test's X server:
//! find a top-level window by title, read whether it is on screen, and ask it to close
//! (`WM_DELETE_WINDOW`, the message a window's close button sends). There is no window manager
//! under Xvfb, so the test sends that message itself.

use std::ffi::{c_char, c_uint, c_ulong, CStr, CString};

use x11_dl::xlib;

/// A connection to an X display.
pub struct X {
    xlib: xlib::Xlib,
    display: *mut xlib::Display,
}

/// Whether a window is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Mapped and viewable.
    Viewable,
    /// Not mapped (hidden).
    Unmapped,
    /// Mapped under an unmapped parent.
    Unviewable,
}

impl X {
    /// Connects to `display` (e.g. `:5`).
    pub fn connect(display: &str) -> Self {
        let xlib = xlib::Xlib::open().expect("libX11 loads");
        let name = CString::new(display).expect("display name");
        // SAFETY: a valid C string; a null result is checked.
        let connection = unsafe { (xlib.XOpenDisplay)(name.as_ptr()) };
        assert!(!connection.is_null(), "cannot open X display {display}");
        Self {
            xlib,
            display: connection,
        }
    }

    /// The top-level windows (children of the root) titled `title`.
    pub fn windows_titled(&self, title: &str) -> Vec<c_ulong> {
        let mut found = Vec::new();
        // SAFETY: the display is open; XQueryTree's list is freed with XFree; XFetchName's
        // name is freed with XFree.
        unsafe {
            let root = (self.xlib.XDefaultRootWindow)(self.display);
            let (mut root_out, mut parent) = (0, 0);
            let mut children: *mut c_ulong = std::ptr::null_mut();
            let mut count: c_uint = 0;
            if (self.xlib.XQueryTree)(
                self.display,
                root,
                &mut root_out,
                &mut parent,
                &mut children,
                &mut count,
            ) == 0
            {
                return found;
            }
            if !children.is_null() {
                for &window in std::slice::from_raw_parts(children, count as usize) {
                    let mut name: *mut c_char = std::ptr::null_mut();
                    if (self.xlib.XFetchName)(self.display, window, &mut name) != 0
                        && !name.is_null()
                    {
                        if CStr::from_ptr(name).to_string_lossy() == title {
                            found.push(window);
                        }
                        (self.xlib.XFree)(name.cast());
                    }
                }
                (self.xlib.XFree)(children.cast());
            }
        }
        found
    }

    /// Whether `window` is on screen.
    pub fn shown(&self, window: c_ulong) -> Option<Shown> {
        // SAFETY: the display is open; the attributes struct is written by Xlib.
        unsafe {
            let mut attributes: xlib::XWindowAttributes = std::mem::zeroed();
            if (self.xlib.XGetWindowAttributes)(self.display, window, &mut attributes) == 0 {
                return None;
            }
            Some(match attributes.map_state {
                xlib::IsViewable => Shown::Viewable,
                xlib::IsUnmapped => Shown::Unmapped,
                _ => Shown::Unviewable,
            })
        }
    }

    /// Asks `window` to close, as a window manager does when its close button is clicked.
    pub fn request_close(&self, window: c_ulong) {
        // SAFETY: the display is open; the atoms' names are valid C strings; the event is a
        // fully initialised client message.
        unsafe {
            let atom = |name: &CStr| (self.xlib.XInternAtom)(self.display, name.as_ptr(), 0);
            let protocols = atom(c"WM_PROTOCOLS");
            let delete = atom(c"WM_DELETE_WINDOW");
            let mut data = xlib::ClientMessageData::new();
            data.set_long(0, delete as i64);
            data.set_long(1, xlib::CurrentTime as i64);
            let message = xlib::XClientMessageEvent {
                type_: xlib::ClientMessage,
                serial: 0,
                send_event: 1,
                display: self.display,
                window,
                message_type: protocols,
                format: 32,
                data,
            };
            let mut event = xlib::XEvent {
                client_message: message,
            };
            (self.xlib.XSendEvent)(self.display, window, 0, xlib::NoEventMask, &mut event);
            (self.xlib.XFlush)(self.display);
        }
    }
}

impl Drop for X {
    fn drop(&mut self) {
        // SAFETY: opened in `connect`, closed once.
        unsafe {
            (self.xlib.XCloseDisplay)(self.display);
        }
    }
}
