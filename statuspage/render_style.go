package statuspage

// The page's own style sheet and script: constant text, emitted as is
// inside <style> and <script> (they hold no data).

// styleSheet is the page's only CSS (inline: the CSP allows inline styles
// and nothing else).
const styleSheet = `
:root{--ok:#1a7f37;--okbg:#dafbe1;--warn:#9a6700;--warnbg:#fff8c5;--bad:#cf222e;--badbg:#ffebe9;--none:#57606a;--nonebg:#eaeef2;--line:#d0d7de;--muted:#57606a;--fg:#1f2328;--bg:#f6f8fa;--card:#fff;--accent:#0969da}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.6rem 1rem;background:#24292f;color:#fff}
header.top a{color:#fff}
header.top .brand{font-weight:600}
header.top form{margin:0}
header.top label,header.top button{font-size:.85rem;color:#fff}
header.top button{background:none;border:1px solid #8c959f;border-radius:4px;padding:.15rem .5rem;cursor:pointer}
main{max-width:1040px;margin:0 auto;padding:1rem}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:0 0 1rem}
h1{font-size:1.25rem;margin:0 0 .2rem;overflow-wrap:anywhere}
h2{font-size:1.05rem;margin:0 0 .6rem}
p{margin:.3rem 0}
code,.mono{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.small{font-size:.85rem}
.msg{overflow-wrap:anywhere;word-break:break-word}
.ok{--c:var(--ok);--cb:var(--okbg)}.warn{--c:var(--warn);--cb:var(--warnbg)}.bad{--c:var(--bad);--cb:var(--badbg)}.none,.gap{--c:var(--none);--cb:var(--nonebg)}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.8rem;font-weight:600;color:var(--c);background:var(--cb);border:1px solid var(--c);white-space:nowrap}
.phase{border-left:8px solid var(--c)}
.phase .name{font-size:2.6rem;line-height:1.1;font-weight:700;color:var(--c);margin:.2rem 0;overflow-wrap:anywhere}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:.6rem}
.cond{border:1px solid var(--line);border-left:5px solid var(--c);border-radius:6px;padding:.45rem .6rem;min-width:0}
.cond .t{font-weight:600}
dl.kv{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.25rem .8rem;margin:0}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
.held{background:var(--badbg);border:1px solid var(--bad);border-radius:6px;padding:.6rem;margin:.5rem 0}
.held code{font-size:1rem;font-weight:600;background:#fff;padding:.1rem .35rem;border-radius:4px}
.bar{display:flex;height:28px;border-radius:4px;overflow:hidden;border:1px solid var(--line);background:var(--nonebg)}
.bar span{display:block;height:100%;background:var(--c);min-width:1px}
.bar span.gap{background:repeating-linear-gradient(45deg,#eaeef2,#eaeef2 4px,#fff 4px,#fff 8px)}
.ends{display:flex;justify-content:space-between;font-size:.8rem;color:var(--muted)}
ul.list{list-style:none;margin:0;padding:0}
ul.list li{padding:.45rem 0;border-top:1px solid var(--line);min-width:0}
ul.list li:first-child{border-top:0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:1rem}
figure{margin:0;min-width:0}
figcaption{font-weight:600;margin-bottom:.3rem}
.plot{display:grid;grid-template-columns:auto 1fr;gap:.3rem}
.ylab{display:flex;flex-direction:column;justify-content:space-between;font-size:.75rem;color:var(--muted);text-align:right;min-width:3.2rem}
.plot svg{width:100%;height:150px;display:block;background:#fbfcfd;border:1px solid var(--line);border-radius:4px}
.xlab{display:flex;justify-content:space-between;font-size:.75rem;color:var(--muted);margin-left:3.5rem}
.deploy{display:inline-block;margin-top:.2rem;padding:.1rem .4rem;border-radius:4px;background:#ddf4ff;border:1px solid #54aeff;font-weight:600}
table.units{width:100%;border-collapse:collapse}
table.units th,table.units td{text-align:left;padding:.4rem .3rem;border-top:1px solid var(--line);overflow-wrap:anywhere}
form.login{display:flex;flex-direction:column;gap:.6rem;max-width:24rem}
form.login input{font-size:1rem;padding:.5rem;border:1px solid var(--line);border-radius:6px;width:100%}
form.login button{font-size:1rem;padding:.5rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
.error{color:var(--bad);font-weight:600}
@media (max-width:480px){main{padding:.5rem}section{padding:.6rem .7rem}.phase .name{font-size:2.1rem}dl.kv{grid-template-columns:1fr}dl.kv dt{margin-top:.3rem}}
`

// refreshScriptHead and refreshScriptTail surround the refresh interval in
// seconds (an integer) in the auto-refresh script: every interval, unless
// the box is unchecked or the tab hidden, it fetches the page and swaps
// its <main> in place; a 401 reloads the page (to the login form).
const (
	refreshScriptHead = `
(function(){var box=document.getElementById('auto'),ms=`
	refreshScriptTail = `*1000;
box.checked=localStorage.getItem('reconciler.refresh')!=='off';
box.onchange=function(){localStorage.setItem('reconciler.refresh',box.checked?'on':'off')};
setInterval(function(){if(!box.checked||document.hidden)return;
fetch(location.href,{headers:{Accept:'text/html'},credentials:'same-origin',cache:'no-store'}).then(function(r){
if(r.status===401){location.reload();return null}return r.ok?r.text():null}).then(function(t){if(!t)return;
var m=new DOMParser().parseFromString(t,'text/html').getElementById('main');if(m)document.getElementById('main').replaceWith(m)
}).catch(function(){})},ms)})();
`
)
