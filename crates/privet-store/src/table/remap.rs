//! `privet_remap(person_id)`: the scalar function that rewrites merged-away person ids to the surviving person.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array};
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::version::Remaps;

/// The remap function, carrying one project's remaps.
#[derive(Debug)]
pub struct RemapUdf {
    remaps: Arc<Remaps>,
    signature: Signature,
}

impl RemapUdf {
    pub fn new(remaps: Arc<Remaps>) -> Self {
        RemapUdf {
            remaps,
            signature: Signature::exact(vec![DataType::Int64], Volatility::Immutable),
        }
    }

    fn map(&self, person: i64) -> i64 {
        self.remaps.get(&person).copied().unwrap_or(person)
    }
}

impl PartialEq for RemapUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.remaps, &other.remaps)
    }
}

impl Eq for RemapUdf {}

impl Hash for RemapUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.remaps) as usize).hash(state);
    }
}

impl ScalarUDFImpl for RemapUdf {
    fn name(&self) -> &str {
        "privet_remap"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match &args.args[0] {
            ColumnarValue::Scalar(ScalarValue::Int64(value)) => Ok(ColumnarValue::Scalar(
                ScalarValue::Int64(value.map(|p| self.map(p))),
            )),
            ColumnarValue::Scalar(other) => Ok(ColumnarValue::Scalar(other.clone())),
            ColumnarValue::Array(array) => {
                let persons = array.as_primitive::<Int64Type>();
                // Rows come in runs of one person (segments are sorted by person): one lookup per run. NULL
                // rows keep their (meaningless) value and their null bit.
                let mut last: Option<(i64, i64)> = None;
                let values: Vec<i64> = persons
                    .values()
                    .iter()
                    .map(|&p| match last {
                        Some((from, to)) if from == p => to,
                        _ => {
                            let to = self.map(p);
                            last = Some((p, to));
                            to
                        }
                    })
                    .collect();
                let remapped = Int64Array::new(values.into(), persons.nulls().cloned());
                Ok(ColumnarValue::Array(Arc::new(remapped)))
            }
        }
    }
}
