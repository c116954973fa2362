//! Errors of analytics queries: a malformed request names the field at fault; everything else is the engine's.

use privet_query::QueryError;

/// Why an analytics query failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The request is malformed; `field` is its JSON path (`steps[1].event`).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The query engine refused or failed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The saved-cohort database failed.
    #[error("the analytics database failed: {0}")]
    Storage(#[from] rusqlite::Error),
}

impl AnalyticsError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AnalyticsError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field at fault, for malformed requests.
    pub fn field(&self) -> Option<&str> {
        match self {
            AnalyticsError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The HTTP status that fits.
    pub fn status(&self) -> u16 {
        match self {
            AnalyticsError::Invalid { .. } => 400,
            AnalyticsError::Query(QueryError::ResourcesExhausted(_)) => 413,
            AnalyticsError::Query(_) => 400,
            AnalyticsError::Storage(_) => 503,
        }
    }
}

impl From<datafusion::error::DataFusionError> for AnalyticsError {
    fn from(error: datafusion::error::DataFusionError) -> Self {
        AnalyticsError::Query(privet_query::classify(error))
    }
}

pub type Result<T, E = AnalyticsError> = std::result::Result<T, E>;

impl From<arrow::error::ArrowError> for AnalyticsError {
    fn from(error: arrow::error::ArrowError) -> Self {
        AnalyticsError::from(datafusion::error::DataFusionError::ArrowError(
            Box::new(error),
            None,
        ))
    }
}

/// Parses a JSON request, naming the field at fault (`steps[1].window`) when its shape is wrong.
pub fn parse_request<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        // Serde names an unknown field only in its message: `unknown field `evnts`, expected one of …`.
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), unknown) {
            (".", Some(name)) => name.to_string(),
            (".", None) => String::new(),
            (path, Some(name)) if !path.ends_with(name) => format!("{path}.{name}"),
            (path, _) => path.to_string(),
        };
        AnalyticsError::invalid(field, message)
    })
}
