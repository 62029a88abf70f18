//! Exporting the map as drawn: "Download SVG" serialises the `<svg>` (its
//! colours are attributes, so the file stands alone) and "Download PNG"
//! draws that SVG on a canvas at twice its size and saves `toBlob`'s image.
//! "Print" opens the browser's dialog; the print stylesheet leaves the map
//! alone on the page.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast as _, JsValue};

use crate::components::map_canvas::SVG_ID;
use crate::context::use_language;
use crate::files::download_text;
use crate::i18n::{Text, text};

/// The map's SVG as a standalone document.
fn svg_markup() -> Option<(String, f64, f64)> {
    let svg = web_sys::window()?.document()?.get_element_by_id(SVG_ID)?;
    let rect = svg.get_bounding_client_rect();
    let markup = svg.outer_html();
    let markup = if markup.contains("xmlns=") {
        markup
    } else {
        markup.replacen("<svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"", 1)
    };
    Some((markup, rect.width().max(300.0), rect.height().max(300.0)))
}

fn download_png() -> Result<(), JsValue> {
    let (markup, width, height) = svg_markup().ok_or_else(|| JsValue::from_str("no map"))?;
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let image: web_sys::HtmlImageElement = document.create_element("img")?.unchecked_into();
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas")?.unchecked_into();
    canvas.set_width((width * 2.0) as u32);
    canvas.set_height((height * 2.0) as u32);
    let drawn = image.clone();
    let onload = Closure::once(move || {
        let Ok(Some(context)) = canvas.get_context("2d") else {
            return;
        };
        let context: web_sys::CanvasRenderingContext2d = context.unchecked_into();
        context.set_fill_style_str("#ffffff");
        context.fill_rect(0.0, 0.0, width * 2.0, height * 2.0);
        let _ = context.draw_image_with_html_image_element_and_dw_and_dh(
            &drawn,
            0.0,
            0.0,
            width * 2.0,
            height * 2.0,
        );
        let saved = Closure::once(move |blob: Option<web_sys::Blob>| {
            let Some(blob) = blob else {
                return;
            };
            let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
                return;
            };
            if let Some(document) = web_sys::window().and_then(|window| window.document())
                && let Ok(link) = document.create_element("a")
            {
                let link: web_sys::HtmlAnchorElement = link.unchecked_into();
                link.set_href(&url);
                link.set_download("map.png");
                link.click();
            }
        });
        let _ = canvas.to_blob(saved.as_ref().unchecked_ref());
        saved.forget();
    });
    image.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    let encoded = js_sys::encode_uri_component(&markup);
    image.set_src(&format!("data:image/svg+xml;charset=utf-8,{encoded}"));
    Ok(())
}

#[component]
pub fn MapExport() -> impl IntoView {
    let language = use_language();
    let svg = move |_| {
        if let Some((markup, _, _)) = svg_markup() {
            let _ = download_text("map.svg", &markup, "image/svg+xml");
        }
    };
    let print = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        <div class="map-export">
            <button type="button" data-testid="map-download-svg" on:click=svg>{move || text(language.get(), Text::MapDownloadSvg)}</button>
            <button type="button" data-testid="map-download-png" on:click=move |_| { let _ = download_png(); }>{move || text(language.get(), Text::MapDownloadPng)}</button>
            <button type="button" data-testid="map-print" on:click=print>{move || text(language.get(), Text::MapPrint)}</button>
        </div>
    }
}
