//! Extended attributes of tmpfs inodes: kept in memory with the inode, in
//! every namespace the VFS lets through (Linux's shmem keeps `user.` ones
//! since 6.6). Changing one sets the change time.

use super::inode::Inode;
use crate::xattr::XattrFlags;
use arch::{Errno, Result};

impl Inode {
    /// Returns the value of attribute `name` (`ENODATA`).
    pub(super) fn get_xattr(&self, name: &[u8]) -> Result<Vec<u8>> {
        let st = self.state()?;
        st.xattrs.get(name).cloned().ok_or(Errno::ENODATA)
    }

    /// Sets attribute `name` to `value`, or removes it if `value` is `None`,
    /// honouring `CREATE` (`EEXIST`) and `REPLACE` (`ENODATA`).
    pub(super) fn set_xattr(
        &self,
        name: &[u8],
        value: Option<&[u8]>,
        flags: XattrFlags,
    ) -> Result<()> {
        let now = self.sb.now();
        let mut st = self.state()?;
        let exists = st.xattrs.contains_key(name);
        if exists && flags.contains(XattrFlags::CREATE) {
            return Err(Errno::EEXIST);
        }
        if !exists && flags.contains(XattrFlags::REPLACE) {
            return Err(Errno::ENODATA);
        }
        match value {
            Some(v) => st.xattrs.insert(name.to_vec(), v.to_vec()),
            None => st.xattrs.remove(name),
        };
        st.meta.ctime = now;
        Ok(())
    }
}
