//! This till's shift: open it, move cash, close it, and its X- and Z-reports on the
//! till's printer. The figures and the rules are [`crate::shifts`]'; the till adds
//! who is at it and where its printer is.

use crate::delivery::printer::{self, Printed};
use crate::delivery::{Language, PrinterSpec};
use crate::shifts::print::ReportSheet;
use crate::shifts::{self, CashMove, CashMoveKind, Shift, ShiftError, ShiftReport};

use super::{Clerk, Till, TillError};

impl Till {
    /// Opens this till's shift with `float` in the drawer, by `clerk`.
    pub async fn open_shift(&self, float: &str, clerk: &Clerk) -> Result<Shift, ShiftError> {
        shifts::open(&self.db, clerk.till_id.as_deref(), float, &clerk.staff).await
    }

    /// Cash into or out of this till's drawer, with the reason.
    pub async fn move_cash(
        &self,
        kind: CashMoveKind,
        amount: &str,
        reason: &str,
        clerk: &Clerk,
    ) -> Result<CashMove, ShiftError> {
        shifts::move_cash(
            &self.db,
            clerk.till_id.as_deref(),
            kind,
            amount,
            reason,
            &clerk.staff,
        )
        .await
    }

    /// Closes this till's shift with the cash counted; answers the Z-report.
    pub async fn close_shift(
        &self,
        counted: &str,
        clerk: &Clerk,
    ) -> Result<ShiftReport, ShiftError> {
        shifts::close(&self.db, clerk.till_id.as_deref(), counted, &clerk.staff).await
    }

    /// The X-report of this till's open shift, or (`x` false) the Z-report of its
    /// last closed one.
    pub async fn shift_report(&self, x: bool, clerk: &Clerk) -> Result<ShiftReport, ShiftError> {
        let till = clerk.till_id.as_deref();
        if x {
            shifts::x_report(&self.db, till).await
        } else {
            shifts::z_report(&self.db, till, None).await
        }
    }

    /// `report` laid out for this till's shop in `language`.
    pub async fn report_sheet(
        &self,
        report: ShiftReport,
        language: Language,
    ) -> Result<ReportSheet, ShiftError> {
        let shop = crate::delivery::shop(&self.db).await?;
        Ok(ReportSheet::new(report, shop, language))
    }

    /// Prints a shift report on this till's printer now (ESC/POS for its paper, or a
    /// PDF in its folder); a report is not a sale, so nothing is queued.
    pub async fn print_shift_report(&self, sheet: &ReportSheet) -> Result<Printed, TillError> {
        let outbox = self.outbox().await?;
        let spec = outbox.config().printer()?.clone();
        let font = outbox.config().font.clone();
        let failed = |e: printer::PrintError| {
            TillError::Delivery(crate::delivery::DeliveryError::BadPrinter(format!(
                "the shift report was not printed: {e}"
            )))
        };
        let shift_error = |e: ShiftError| {
            TillError::Delivery(crate::delivery::DeliveryError::BadPrinter(e.to_string()))
        };
        match &spec {
            PrinterSpec::Pdf { .. } => {
                let pdf = sheet.pdf(font.as_deref()).map_err(shift_error)?;
                let name = match sheet.report.z_number {
                    Some(z) => format!("z-report-{z:06}.pdf"),
                    None => format!(
                        "x-report-{}.pdf",
                        chrono::Utc::now().format("%Y%m%dT%H%M%S")
                    ),
                };
                printer::save_pdf(&spec, &name, pdf).await.map_err(failed)
            }
            _ => {
                let bytes = sheet
                    .escpos(spec.paper(), font.as_deref())
                    .map_err(shift_error)?;
                printer::send_escpos(&spec, &bytes).await.map_err(failed)
            }
        }
    }
}
