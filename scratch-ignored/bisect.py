import subprocess, shutil, re
src=open('policies/baseline/baseline.rego').read().split('\n\n')
idx=[i for i,b in enumerate(src) if ('shell_deny contains' in b)]
for i in idx:
    shutil.rmtree('/tmp/polb', ignore_errors=True); shutil.copytree('policies','/tmp/polb')
    open('/tmp/polb/baseline/baseline.rego','w').write('\n\n'.join(b for j,b in enumerate(src) if j!=i))
    out=subprocess.run(['npx','tsx','scratch-ignored/ab.ts','/tmp/polb'],capture_output=True,text=True).stdout
    m=re.search(r'B/A ([\d.]+)',out)
    name=re.search(r'finding\(([^,]+),',src[i]); 
    print(m.group(1) if m else out[-300:], name.group(1)[:60] if name else src[i][:60], flush=True)
