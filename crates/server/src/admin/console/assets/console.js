// latchkey console: the pages work without this script; it adds confirmations and the audit log's live tail.
'use strict';

// A button in a form with data-confirm asks before it posts.
document.addEventListener('submit', (event) => {
  const question = event.target.getAttribute('data-confirm');
  if (question && !window.confirm(question)) event.preventDefault();
});

// Live tail: the audit table with data-tail polls for rows newer than the newest it shows and puts them on top.
const tail = document.querySelector('table[data-tail]');
const toggle = document.getElementById('live-tail');
if (tail && toggle) {
  let timer = null;
  const status = document.getElementById('live-tail-status');
  const poll = async () => {
    const url = new URL(tail.getAttribute('data-tail'), window.location.href);
    url.searchParams.set('after', tail.getAttribute('data-newest') || '');
    try {
      const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const newest = response.headers.get('X-Newest');
      const rows = await response.text();
      if (rows.trim()) {
        const body = tail.tBodies[0];
        const holder = document.createElement('tbody');
        holder.innerHTML = rows;
        for (const row of Array.from(holder.rows).reverse()) {
          row.classList.add('fresh');
          body.insertBefore(row, body.firstChild);
        }
      }
      if (newest) tail.setAttribute('data-newest', newest);
      if (status) status.textContent = `Live: checked ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (status) status.textContent = `Live tail paused: ${error.message}`;
    }
  };
  toggle.addEventListener('change', () => {
    if (toggle.checked) {
      poll();
      timer = window.setInterval(poll, 2000);
    } else {
      window.clearInterval(timer);
      if (status) status.textContent = 'Live tail off';
    }
  });
  toggle.disabled = false;
}
