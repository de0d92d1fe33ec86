//! The chart of the report e-mail, drawn with plotters into a PNG (mail
//! clients block SVG and remote images): releases by status, and cost against
//! budget by release type. Labels use the DejaVu Sans Mono font compiled in
//! (`jobs/assets`, with its licence), so no system fonts are needed.

use entities::reports::ReleaseReport;
use image::{codecs::png::PngEncoder, ExtendedColorType, ImageEncoder};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");
const FAMILY: &str = "sans-serif";
const WIDTH: u32 = 720;
const ROW: i32 = 24;
const LABEL_WIDTH: i32 = 190;
const BAR_COLOUR: RGBColor = RGBColor(0x00, 0x52, 0xcc);
const BUDGET_COLOUR: RGBColor = RGBColor(0xa5, 0xad, 0xba);
const OVER_COLOUR: RGBColor = RGBColor(0xde, 0x35, 0x0b);

static FONT_ONCE: Once = Once::new();

/// The PNG of `report`'s chart, `currency` naming its amounts.
pub fn report_chart(report: &ReleaseReport, currency: &str) -> Result<Vec<u8>, String> {
    FONT_ONCE.call_once(|| {
        if register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            tracing::error!("the chart font did not load; the chart has no labels");
        }
    });
    let statuses: Vec<(String, i64)> = report
        .by_status
        .iter()
        .map(|c| (c.key.clone(), c.count))
        .collect();
    let costs: Vec<(String, i64, i64)> = report
        .cost_by_type
        .iter()
        .map(|c| (c.release_type.clone(), c.budget, c.cost))
        .collect();
    let height =
        50 + ROW * statuses.len().max(1) as i32 + 60 + 2 * ROW * costs.len().max(1) as i32 + 30;
    let height = u32::try_from(height).unwrap_or(400);
    let mut buffer = vec![0u8; (WIDTH * height * 3) as usize];
    draw(&mut buffer, height, &statuses, &costs, currency)
        .map_err(|err| format!("drawing the chart: {err}"))?;
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&buffer, WIDTH, height, ExtendedColorType::Rgb8)
        .map_err(|err| format!("encoding the chart: {err}"))?;
    Ok(png)
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(
    buffer: &mut [u8],
    height: u32,
    statuses: &[(String, i64)],
    costs: &[(String, i64, i64)],
    currency: &str,
) -> DrawResult {
    let root = BitMapBackend::with_buffer(buffer, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let text = |size: u32| (FAMILY, size).into_font().color(&BLACK);
    let bar_space = WIDTH as i32 - LABEL_WIDTH - 120;
    let mut y = 16;
    root.draw(&Text::new("Releases by status", (16, y), text(18)))?;
    y += 34;
    let most = statuses.iter().map(|s| s.1).max().unwrap_or(0).max(1);
    if statuses.is_empty() {
        root.draw(&Text::new("no releases in the period", (16, y), text(13)))?;
        y += ROW;
    }
    for (status, count) in statuses {
        let length = (bar_space as i64 * count / most) as i32;
        root.draw(&Text::new(status.as_str(), (16, y + 3), text(13)))?;
        root.draw(&Rectangle::new(
            [(LABEL_WIDTH, y), (LABEL_WIDTH + length.max(1), y + ROW - 6)],
            BAR_COLOUR.filled(),
        ))?;
        root.draw(&Text::new(
            count.to_string(),
            (LABEL_WIDTH + length + 8, y + 3),
            text(13),
        ))?;
        y += ROW;
    }
    y += 26;
    root.draw(&Text::new(
        format!("Cost against budget ({currency})"),
        (16, y),
        text(18),
    ))?;
    y += 34;
    let largest = costs
        .iter()
        .flat_map(|c| [c.1, c.2])
        .max()
        .unwrap_or(0)
        .max(1);
    if costs.is_empty() {
        root.draw(&Text::new("no costs in the period", (16, y), text(13)))?;
    }
    for (release_type, budget, cost) in costs {
        let scale = |v: i64| (bar_space as i64 * v.max(0) / largest) as i32;
        root.draw(&Text::new(release_type.as_str(), (16, y + 3), text(13)))?;
        root.draw(&Rectangle::new(
            [
                (LABEL_WIDTH, y),
                (LABEL_WIDTH + scale(*budget).max(1), y + ROW - 8),
            ],
            BUDGET_COLOUR.filled(),
        ))?;
        root.draw(&Text::new(
            format!("budget {}", major_units(*budget)),
            (LABEL_WIDTH + scale(*budget) + 8, y + 2),
            text(12),
        ))?;
        y += ROW - 4;
        let colour = if cost > budget && *budget > 0 {
            OVER_COLOUR
        } else {
            BAR_COLOUR
        };
        root.draw(&Rectangle::new(
            [
                (LABEL_WIDTH, y),
                (LABEL_WIDTH + scale(*cost).max(1), y + ROW - 8),
            ],
            colour.filled(),
        ))?;
        root.draw(&Text::new(
            format!("cost {}", major_units(*cost)),
            (LABEL_WIDTH + scale(*cost) + 8, y + 2),
            text(12),
        ))?;
        y += ROW + 4;
    }
    root.present()?;
    Ok(())
}

/// Minor units as major units with two decimals (`123456` → `1,234.56`).
pub fn major_units(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_money() {
        assert_eq!(major_units(123_456), "1,234.56");
        assert_eq!(major_units(-5), "-0.05");
        assert_eq!(major_units(100_000_000), "1,000,000.00");
    }
}
