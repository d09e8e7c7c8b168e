//! The known-field table: every manifest field, its API name, and whether it is required or secret.

/// One manifest field: a CreateDataFlow parameter, or the row's `Region`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Field {
    FileSystemId,
    SourceStorageType,
    SourceStorageAddress,
    SourcePath,
    TargetPath,
    SecretId,
    SecretKey,
    DataFlowName,
    AutoRefresh,
    UserKafkaTopic,
    ServerAddr,
    UserName,
    Password,
    Region,
}

/// How many fields there are; a record's values are held in an array this long.
pub(crate) const FIELD_COUNT: usize = 14;

/// Every field, in the order used for storage and for the fingerprint.
pub(crate) const ALL: [Field; FIELD_COUNT] = [
    Field::FileSystemId,
    Field::SourceStorageType,
    Field::SourceStorageAddress,
    Field::SourcePath,
    Field::TargetPath,
    Field::SecretId,
    Field::SecretKey,
    Field::DataFlowName,
    Field::AutoRefresh,
    Field::UserKafkaTopic,
    Field::ServerAddr,
    Field::UserName,
    Field::Password,
    Field::Region,
];

/// The fields a row must have (the region is required too, but may come from `--region`).
pub(crate) const REQUIRED: [Field; 7] = [
    Field::FileSystemId,
    Field::SourceStorageType,
    Field::SourceStorageAddress,
    Field::SourcePath,
    Field::TargetPath,
    Field::SecretId,
    Field::SecretKey,
];

impl Field {
    /// The name as the API writes it; used in every message.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::FileSystemId => "FileSystemId",
            Field::SourceStorageType => "SourceStorageType",
            Field::SourceStorageAddress => "SourceStorageAddress",
            Field::SourcePath => "SourcePath",
            Field::TargetPath => "TargetPath",
            Field::SecretId => "SecretId",
            Field::SecretKey => "SecretKey",
            Field::DataFlowName => "DataFlowName",
            Field::AutoRefresh => "AutoRefresh",
            Field::UserKafkaTopic => "UserKafkaTopic",
            Field::ServerAddr => "ServerAddr",
            Field::UserName => "UserName",
            Field::Password => "Password",
            Field::Region => "Region",
        }
    }

    /// The field's slot in a record's value array.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The field's bit in a field mask.
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_index_order() {
        for (i, f) in ALL.iter().enumerate() {
            assert_eq!(f.index(), i);
        }
        assert!(REQUIRED.iter().all(|f| !matches!(f, Field::Region)));
    }
}
